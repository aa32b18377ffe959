package org.malipo.gateway.routing;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Routing configuration ({@code malipo.routing.*}); docs/adr/0040-health-aware-ranking.md.
 *
 * <p>A <em>tier list</em> is a list of tiers, most preferred first; a tier is one or more rail
 * names whose order is decided by health. {@code [acquirer_a, acquirer_b]} is two tiers of one
 * rail each (strict priority); {@code [[acquirer_a, acquirer_b]]} is one tier of two rails.
 *
 * @param priority the tier list for every merchant without a rule; rails it does not name come
 *     after it, in configuration order
 * @param merchantRules merchant id ({@code "[mer_…]"} in YAML, brackets keep the underscore) to
 *     that merchant's tier list, which replaces {@code priority}: only the rails it names are
 *     candidates for that merchant
 * @param health how rail health is measured; default {@link Health#defaults()}
 * @param explorationPercent share of payments, 0 to 50, that go first to a lower-ranked rail of
 *     the top rail's tier, so a rail that recovered is measured again; default 5
 */
@ConfigurationProperties("malipo.routing")
public record RoutingProperties(
    List<List<String>> priority,
    Map<String, List<List<String>>> merchantRules,
    Health health,
    Integer explorationPercent) {

  /** Largest exploration share accepted: more would be load balancing, not exploration. */
  static final int MAX_EXPLORATION_PERCENT = 50;

  /**
   * Replaces null components by their defaults and checks them.
   *
   * @throws IllegalArgumentException naming the property at fault
   */
  public RoutingProperties {
    priority = tiers(priority, "malipo.routing.priority");
    Map<String, List<List<String>>> rules = new LinkedHashMap<>();
    if (merchantRules != null) {
      merchantRules.forEach((merchant, tiers) ->
          rules.put(merchant, tiers(tiers, "malipo.routing.merchant-rules." + merchant)));
    }
    merchantRules = Map.copyOf(rules);
    health = health == null ? Health.defaults() : health;
    explorationPercent = explorationPercent == null ? 5 : explorationPercent;
    if (explorationPercent < 0 || explorationPercent > MAX_EXPLORATION_PERCENT) {
      throw new IllegalArgumentException("malipo.routing.exploration-percent must be 0.." + MAX_EXPLORATION_PERCENT
          + ": " + explorationPercent);
    }
  }

  /** Strict priority over {@code railNames}, one rail per tier; every other setting default. */
  static RoutingProperties ofPriority(String... railNames) {
    return new RoutingProperties(List.of(railNames).stream().map(List::of).toList(), null, null, null);
  }

  private static List<List<String>> tiers(List<List<String>> tiers, String property) {
    if (tiers == null) {
      return List.of();
    }
    for (List<String> tier : tiers) {
      if (tier == null || tier.isEmpty() || tier.stream().anyMatch(name -> name == null || name.isBlank())) {
        throw new IllegalArgumentException(property + ": every tier needs one or more rail names: " + tiers);
      }
    }
    return tiers.stream().map(tier -> tier.stream().map(String::strip).toList()).toList();
  }

  /**
   * How a rail's health score is measured, per gateway instance.
   *
   * @param window how far back outcomes count; default 10 s (a slowed rail shows within seconds, and
   *     a forgotten one is retried after 10 s without traffic)
   * @param minSamples outcomes needed in the window before the score moves from neutral 1.0;
   *     default 5
   * @param latencyTarget mean latency of successful calls at or under which latency costs no
   *     score; above it the score is multiplied by {@code target / mean}; default 500 ms
   */
  public record Health(Duration window, Integer minSamples, Duration latencyTarget) {

    /**
     * Replaces null components by their defaults and checks them.
     *
     * @throws IllegalArgumentException when a value is not positive
     */
    public Health {
      window = window == null ? Duration.ofSeconds(10) : window;
      minSamples = minSamples == null ? 5 : minSamples;
      latencyTarget = latencyTarget == null ? Duration.ofMillis(500) : latencyTarget;
      if (window.toMillis() < HealthWindow.BUCKETS || minSamples < 1 || latencyTarget.toMillis() < 1) {
        throw new IllegalArgumentException("malipo.routing.health: window must be at least " + HealthWindow.BUCKETS
            + " ms, min-samples and latency-target positive: window=" + window + ", min-samples=" + minSamples
            + ", latency-target=" + latencyTarget);
      }
    }

    /** Every default. */
    public static Health defaults() {
      return new Health(null, null, null);
    }
  }
}
