package org.malipo.gateway.rail;

import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * The resilience limits of one rail, applied by {@link ResilientRail}. Every value is explicit;
 * the rail's configuration properties supply the defaults.
 *
 * @param callTimeout longest wait for the rail's answer to one call; past it the outcome is
 *     {@link RailOutcome.Unknown}
 * @param maxConcurrentCalls calls in flight at once; one more is {@link RailOutcome.NotAttempted}
 *     at once (no queueing)
 * @param ratePerSecond calls started per second; one more is {@link RailOutcome.NotAttempted}
 *     at once (no waiting)
 * @param failureRatePercent failure rate (errors, timeouts, unknown answers) in the sliding window
 *     at or above which the circuit opens, 1 to 100
 * @param slowCallRatePercent share of calls slower than {@code slowCallDuration} at or above which
 *     the circuit opens, 1 to 100
 * @param slowCallDuration a call taking longer than this counts as slow
 * @param slidingWindowSize number of most recent calls the rates are computed over
 * @param minimumNumberOfCalls calls needed in the window before the rates are evaluated
 * @param waitInOpen time the circuit stays open before it turns half open by itself and lets
 *     trial calls through
 * @param permittedCallsInHalfOpen trial calls let through while half open
 */
public record RailLimits(
    Duration callTimeout,
    int maxConcurrentCalls,
    int ratePerSecond,
    float failureRatePercent,
    float slowCallRatePercent,
    Duration slowCallDuration,
    int slidingWindowSize,
    int minimumNumberOfCalls,
    Duration waitInOpen,
    int permittedCallsInHalfOpen) {

  /**
   * Checks every limit.
   *
   * @throws IllegalArgumentException when a duration or count is not positive or a rate is
   *     outside 1..100
   */
  public RailLimits {
    requirePositive(callTimeout, "callTimeout");
    requirePositive(slowCallDuration, "slowCallDuration");
    requirePositive(waitInOpen, "waitInOpen");
    requirePositive(maxConcurrentCalls, "maxConcurrentCalls");
    requirePositive(ratePerSecond, "ratePerSecond");
    requirePositive(slidingWindowSize, "slidingWindowSize");
    requirePositive(minimumNumberOfCalls, "minimumNumberOfCalls");
    requirePositive(permittedCallsInHalfOpen, "permittedCallsInHalfOpen");
    requirePercent(failureRatePercent, "failureRatePercent");
    requirePercent(slowCallRatePercent, "slowCallRatePercent");
  }

  TimeLimiterConfig timeLimiterConfig() {
    return TimeLimiterConfig.custom().timeoutDuration(callTimeout).cancelRunningFuture(true).build();
  }

  CircuitBreakerConfig circuitBreakerConfig() {
    return CircuitBreakerConfig.custom()
        // LOCK_FREE: the default SYNCHRONIZED window takes a ReentrantLock on every recorded call,
        // which parks an event-loop thread under contention.
        .slidingWindow(slidingWindowSize, minimumNumberOfCalls, SlidingWindowType.COUNT_BASED,
            SlidingWindowSynchronizationStrategy.LOCK_FREE)
        .failureRateThreshold(failureRatePercent)
        .slowCallRateThreshold(slowCallRatePercent)
        .slowCallDurationThreshold(slowCallDuration)
        .waitDurationInOpenState(waitInOpen)
        .permittedNumberOfCallsInHalfOpenState(permittedCallsInHalfOpen)
        // Open → half-open by itself after waitInOpen: routing ranks an open rail last, so it may
        // get no call that would otherwise trigger the transition (docs/adr/0040).
        .automaticTransitionFromOpenToHalfOpenEnabled(true)
        // An answer we could not read is a sign of a sick rail, like an error.
        .recordResult(result -> result instanceof RailOutcome.Unknown)
        .build();
  }

  BulkheadConfig bulkheadConfig() {
    // Zero wait: a full bulkhead sheds at once instead of holding the caller.
    return BulkheadConfig.custom().maxConcurrentCalls(maxConcurrentCalls).maxWaitDuration(Duration.ZERO).build();
  }

  RateLimiterConfig rateLimiterConfig() {
    // Zero timeout: over the rate the call is refused at once, never delayed.
    return RateLimiterConfig.custom()
        .limitForPeriod(ratePerSecond)
        .limitRefreshPeriod(Duration.ofSeconds(1))
        .timeoutDuration(Duration.ZERO)
        .build();
  }

  private static void requirePositive(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
  }

  private static void requirePositive(int value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
  }

  private static void requirePercent(float value, String name) {
    if (!(value >= 1f && value <= 100f)) {
      throw new IllegalArgumentException(name + " must be 1..100: " + value);
    }
  }
}
