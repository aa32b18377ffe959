package org.malipo.gateway.rail.card;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.rail.RailLimits;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The card acquirers the gateway connects to ({@code malipo.rails.card.*}).
 *
 * <p>Every setting has a default here, in Java, so an empty configuration works: two acquirers,
 * {@code acquirer_a} and {@code acquirer_b}, both served by the in-process sandbox.
 *
 * @param acquirers acquirer name ({@code [a-z0-9_]+}, used in URLs, metrics and the ledger) to its
 *     settings, in configuration order; empty or absent means the two sandbox acquirers
 */
@ConfigurationProperties("malipo.rails.card")
public record CardRailProperties(Map<String, Acquirer> acquirers) {

  private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,40}");

  /**
   * Fills in the two default acquirers when none is configured and checks the names.
   *
   * @throws IllegalArgumentException naming the property at fault
   */
  public CardRailProperties {
    Map<String, Acquirer> copy = new LinkedHashMap<>();
    if (acquirers == null || acquirers.isEmpty()) {
      copy.put("acquirer_a", Acquirer.defaults());
      copy.put("acquirer_b", Acquirer.defaults());
    } else {
      acquirers.forEach((name, acquirer) -> {
        if (name == null || !NAME.matcher(name).matches()) {
          throw new IllegalArgumentException(
              "malipo.rails.card.acquirers: name must match [a-z0-9_]{1,40}: " + name);
        }
        copy.put(name, acquirer == null ? Acquirer.defaults() : acquirer);
      });
    }
    acquirers = Collections.unmodifiableMap(copy);
  }

  /**
   * One acquirer connection. Null components take the documented default.
   *
   * @param baseUrl the acquirer's API root, e.g. {@code https://acquirer.example/api}; empty (the
   *     default) means the in-process sandbox at {@code SandboxServer.baseUrl() + "/" + name}
   * @param apiKey the Bearer key; empty (the default) means the sandbox's key, and is refused at
   *     start-up with a real {@code baseUrl}
   * @param currencies the ISO 4217 currencies this acquirer settles; default all of
   *     {@link CurrencyUnit}
   * @param timeout longest wait for one authorization's answer; default 5 s
   * @param maxConcurrentCalls authorizations in flight at once; default 200
   * @param ratePerSecond authorizations started per second; default 1000
   * @param connectTimeout TCP connect timeout; default 1 s
   * @param maxConnections pooled HTTP connections to the acquirer; default 200
   * @param pendingAcquireMax requests allowed to wait for a pooled connection; default 1000
   * @param circuitBreaker circuit breaker settings; default {@link CircuitBreaker#defaults()}
   */
  public record Acquirer(
      String baseUrl,
      String apiKey,
      List<CurrencyUnit> currencies,
      Duration timeout,
      Integer maxConcurrentCalls,
      Integer ratePerSecond,
      Duration connectTimeout,
      Integer maxConnections,
      Integer pendingAcquireMax,
      CircuitBreaker circuitBreaker) {

    /**
     * Replaces null components by their defaults and checks the limits.
     *
     * @throws IllegalArgumentException when a duration or count is not positive
     */
    public Acquirer {
      baseUrl = baseUrl == null ? "" : baseUrl.strip();
      apiKey = apiKey == null ? "" : apiKey.strip();
      currencies = currencies == null || currencies.isEmpty()
          ? List.of(CurrencyUnit.values())
          : List.copyOf(currencies);
      timeout = positive(timeout, Duration.ofSeconds(5), "timeout");
      maxConcurrentCalls = positive(maxConcurrentCalls, 200, "max-concurrent-calls");
      ratePerSecond = positive(ratePerSecond, 1000, "rate-per-second");
      connectTimeout = positive(connectTimeout, Duration.ofSeconds(1), "connect-timeout");
      maxConnections = positive(maxConnections, 200, "max-connections");
      pendingAcquireMax = positive(pendingAcquireMax, 1000, "pending-acquire-max");
      circuitBreaker = circuitBreaker == null ? CircuitBreaker.defaults() : circuitBreaker;
    }

    /** An acquirer with every default: served by the sandbox. */
    public static Acquirer defaults() {
      return new Acquirer(null, null, null, null, null, null, null, null, null, null);
    }

    /** Whether this acquirer is the in-process sandbox (no {@code base-url}). */
    public boolean usesSandbox() {
      return baseUrl.isEmpty();
    }

    /** The resilience limits of this acquirer's rail. */
    public RailLimits limits() {
      return new RailLimits(
          timeout,
          maxConcurrentCalls,
          ratePerSecond,
          circuitBreaker.failureRateThreshold(),
          circuitBreaker.slowCallRateThreshold(),
          circuitBreaker.slowCallDuration(),
          circuitBreaker.slidingWindowSize(),
          circuitBreaker.minimumNumberOfCalls(),
          circuitBreaker.waitInOpen(),
          circuitBreaker.permittedCallsInHalfOpen());
    }

    @Override
    public String toString() {
      // Never print the key.
      return "Acquirer[baseUrl=" + baseUrl + ", currencies=" + currencies
          + ", timeout=" + timeout + ", maxConcurrentCalls=" + maxConcurrentCalls + ", ratePerSecond="
          + ratePerSecond + ", connectTimeout=" + connectTimeout + ", maxConnections=" + maxConnections
          + ", pendingAcquireMax=" + pendingAcquireMax + ", circuitBreaker=" + circuitBreaker + "]";
    }
  }

  /**
   * Circuit breaker settings of one acquirer (Resilience4j, count-based sliding window).
   *
   * @param failureRateThreshold failure rate in percent at which the circuit opens; default 50
   * @param slowCallRateThreshold slow-call rate in percent at which the circuit opens; default 80
   * @param slowCallDuration a call slower than this is slow; default 2 s
   * @param slidingWindowSize calls the rates are computed over; default 50
   * @param minimumNumberOfCalls calls needed before the rates count; default 20
   * @param waitInOpen time open before trial calls; default 10 s
   * @param permittedCallsInHalfOpen trial calls while half open; default 5
   */
  public record CircuitBreaker(
      Float failureRateThreshold,
      Float slowCallRateThreshold,
      Duration slowCallDuration,
      Integer slidingWindowSize,
      Integer minimumNumberOfCalls,
      Duration waitInOpen,
      Integer permittedCallsInHalfOpen) {

    /**
     * Replaces null components by their defaults and checks the ranges.
     *
     * @throws IllegalArgumentException when a value is out of range
     */
    public CircuitBreaker {
      failureRateThreshold = percent(failureRateThreshold, 50f, "failure-rate-threshold");
      slowCallRateThreshold = percent(slowCallRateThreshold, 80f, "slow-call-rate-threshold");
      slowCallDuration = positive(slowCallDuration, Duration.ofSeconds(2), "slow-call-duration");
      slidingWindowSize = positive(slidingWindowSize, 50, "sliding-window-size");
      minimumNumberOfCalls = positive(minimumNumberOfCalls, 20, "minimum-number-of-calls");
      waitInOpen = positive(waitInOpen, Duration.ofSeconds(10), "wait-in-open");
      permittedCallsInHalfOpen = positive(permittedCallsInHalfOpen, 5, "permitted-calls-in-half-open");
    }

    /** Every default. */
    public static CircuitBreaker defaults() {
      return new CircuitBreaker(null, null, null, null, null, null, null);
    }
  }

  private static Duration positive(Duration value, Duration fallback, String property) {
    Duration result = value == null ? fallback : value;
    if (result.isNegative() || result.isZero()) {
      throw new IllegalArgumentException("malipo.rails.card: " + property + " must be positive: " + value);
    }
    return result;
  }

  private static Integer positive(Integer value, int fallback, String property) {
    int result = value == null ? fallback : value;
    if (result <= 0) {
      throw new IllegalArgumentException("malipo.rails.card: " + property + " must be positive: " + value);
    }
    return result;
  }

  private static Float percent(Float value, float fallback, String property) {
    float result = value == null ? fallback : value;
    if (!(result >= 1f && result <= 100f)) {
      throw new IllegalArgumentException("malipo.rails.card: " + property + " must be 1..100: " + value);
    }
    return result;
  }
}
