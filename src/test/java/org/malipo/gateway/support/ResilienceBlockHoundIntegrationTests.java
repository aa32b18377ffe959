package org.malipo.gateway.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Proves {@link ResilienceBlockHoundIntegration} is loaded and narrow. */
class ResilienceBlockHoundIntegrationTests {

  private static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(5);

  @Test
  void allowsTheRateLimiterCasBackOffOnANonBlockingThread() throws Exception {
    AtomicRateLimiter limiter = new AtomicRateLimiter("canary", RateLimiterConfig.ofDefaults());
    Class<?> state = Class.forName("io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter$State");
    Method compareAndSet = AtomicRateLimiter.class.getDeclaredMethod("compareAndSet", state, state);
    compareAndSet.setAccessible(true);

    // A null expected state always loses the CAS, which makes the limiter park for 1 ns.
    Mono.fromCallable(() -> compareAndSet.invoke(limiter, null, null))
        .subscribeOn(Schedulers.parallel())
        .as(StepVerifier::create)
        .expectNext(false)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void stillReportsTheSameParkElsewhere() {
    Mono.fromRunnable(() -> LockSupport.parkNanos(1))
        .subscribeOn(Schedulers.parallel())
        .as(StepVerifier::create)
        .expectError(BlockingOperationError.class)
        .verify(VERIFY_TIMEOUT);
  }
}
