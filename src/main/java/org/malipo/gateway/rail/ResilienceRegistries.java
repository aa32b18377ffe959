package org.malipo.gateway.rail;

import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRateLimiterMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedTimeLimiterMetrics;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;

/**
 * The Resilience4j registries holding every rail's circuit breaker, bulkhead, rate limiter and
 * time limiter, one of each per rail name, so their metrics can be published together.
 *
 * @param circuitBreakers circuit breakers by rail name
 * @param bulkheads bulkheads by rail name
 * @param rateLimiters rate limiters by rail name
 * @param timeLimiters time limiters by rail name
 */
public record ResilienceRegistries(
    CircuitBreakerRegistry circuitBreakers,
    BulkheadRegistry bulkheads,
    RateLimiterRegistry rateLimiters,
    TimeLimiterRegistry timeLimiters) {

  /**
   * Checks that every registry is present.
   *
   * @throws NullPointerException if a registry is null
   */
  public ResilienceRegistries {
    Objects.requireNonNull(circuitBreakers, "circuitBreakers");
    Objects.requireNonNull(bulkheads, "bulkheads");
    Objects.requireNonNull(rateLimiters, "rateLimiters");
    Objects.requireNonNull(timeLimiters, "timeLimiters");
  }

  /** Four empty in-memory registries. */
  public static ResilienceRegistries create() {
    return new ResilienceRegistries(
        CircuitBreakerRegistry.ofDefaults(),
        BulkheadRegistry.ofDefaults(),
        RateLimiterRegistry.ofDefaults(),
        TimeLimiterRegistry.ofDefaults());
  }

  /**
   * Publishes the tagged Resilience4j meters ({@code resilience4j.circuitbreaker.*},
   * {@code resilience4j.bulkhead.*}, {@code resilience4j.ratelimiter.*},
   * {@code resilience4j.timelimiter.*}, tag {@code name} = rail name) of every entry, present and
   * future.
   *
   * @param meterRegistry the application's meter registry
   */
  public void bindTo(MeterRegistry meterRegistry) {
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(circuitBreakers).bindTo(meterRegistry);
    TaggedBulkheadMetrics.ofBulkheadRegistry(bulkheads).bindTo(meterRegistry);
    TaggedRateLimiterMetrics.ofRateLimiterRegistry(rateLimiters).bindTo(meterRegistry);
    TaggedTimeLimiterMetrics.ofTimeLimiterRegistry(timeLimiters).bindTo(meterRegistry);
  }
}
