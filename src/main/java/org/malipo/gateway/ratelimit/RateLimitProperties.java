package org.malipo.gateway.ratelimit;

import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Name;

/**
 * Per-merchant rate limits ({@code malipo.rate-limit.*}).
 *
 * @param enabled whether authenticated requests are limited at all (default true)
 * @param defaultLimit the bucket of every merchant without an override ({@code malipo.rate-limit.default.*})
 * @param merchants overrides by merchant id; in YAML and on the command line write the id in
 *     brackets ({@code merchants."[mer_demo]".capacity}) or Spring drops its underscore
 * @param redisTimeout how long the bucket may take to answer before the request is let through
 *     unlimited (fail open, counted as {@code malipo.ratelimit.degraded})
 */
@ConfigurationProperties("malipo.rate-limit")
public record RateLimitProperties(
    Boolean enabled,
    @Name("default") Limit defaultLimit,
    Map<String, Limit> merchants,
    Duration redisTimeout) {

  public RateLimitProperties {
    enabled = enabled == null || enabled;
    defaultLimit = defaultLimit == null ? new Limit(200, 100.0) : defaultLimit;
    merchants = merchants == null ? Map.of() : Map.copyOf(merchants);
    redisTimeout = redisTimeout == null ? Duration.ofMillis(100) : redisTimeout;
  }

  /**
   * One token bucket: a merchant may send {@code capacity} requests at once, then
   * {@code refillPerSecond} a second on average.
   *
   * @param capacity bucket size, requests (at least 1)
   * @param refillPerSecond tokens added per second (greater than 0; fractions allowed)
   */
  public record Limit(Integer capacity, Double refillPerSecond) {

    public Limit {
      if (capacity == null || capacity < 1) {
        throw new IllegalArgumentException("malipo.rate-limit capacity must be at least 1, not " + capacity);
      }
      if (refillPerSecond == null || !(refillPerSecond > 0)) {
        throw new IllegalArgumentException("malipo.rate-limit refill-per-second must be > 0, not " + refillPerSecond);
      }
    }

    /** Seconds an empty bucket takes to fill: the window {@code w} of the advertised policy. */
    long windowSeconds() {
      return Math.max(1, (long) Math.ceil(capacity / refillPerSecond));
    }
  }

  /** The limit of {@code merchantId}: its override, else the default. */
  Limit limitOf(String merchantId) {
    return merchants.getOrDefault(merchantId, defaultLimit);
  }

  /** The policy name advertised in {@code RateLimit-Policy}: {@code default} or {@code custom}. */
  String policyOf(String merchantId) {
    return merchants.containsKey(merchantId) ? "custom" : "default";
  }
}
