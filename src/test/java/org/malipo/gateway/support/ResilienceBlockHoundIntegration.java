package org.malipo.gateway.support;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * BlockHound allow-list entries for Resilience4j 2.4.0, as used by {@code ResilientRail}. Each is
 * a wait of nanoseconds on a lock or CAS, never I/O; both were found by reading the bytecode
 * ({@code javap -c}) of the classes on the request path.
 */
public final class ResilienceBlockHoundIntegration implements BlockHoundIntegration {

  @Override
  public void applyTo(BlockHound.Builder builder) {
    // AtomicRateLimiter.compareAndSet backs off with LockSupport.parkNanos(1) when a CAS on its
    // state loses a race with another thread: a 1 ns park, only under contention.
    builder.allowBlockingCallsInside("io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter", "compareAndSet");
    // The open → half-open transition takes a ReentrantLock once per transition, held for a
    // state swap; it parks only if two threads make that transition at the same instant.
    builder.allowBlockingCallsInside(
        "io.github.resilience4j.circuitbreaker.internal.CircuitBreakerStateMachine$OpenState", "toHalfOpenState");
    // Jackson builds a type's (de)serializer once, under a lock, on the type's first use; requests
    // that arrive together on a cold instance may wait a moment for the first to finish.
    builder.allowBlockingCallsInside("tools.jackson.databind.deser.DeserializerCache", "_createAndCacheValueDeserializer");
    builder.allowBlockingCallsInside("tools.jackson.databind.ser.SerializerCache", "addAndResolveNonTypedSerializer");
  }
}
