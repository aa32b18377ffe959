package org.malipo.gateway.support;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * BlockHound allow-list entries for Lettuce 7.5 ({@code io.lettuce.core.protocol.SharedLock}, the
 * writer lock of each Redis connection). Found in a thread dump of a wedged test JVM, then read in
 * the bytecode ({@code javap -c}).
 *
 * <p>{@code DefaultEndpoint.write} calls {@code SharedLock.incrementWriters()} inside a
 * {@code try} whose {@code finally} calls {@code decrementWriters()}. {@code incrementWriters()}
 * takes a {@code ReentrantLock} held for a few instructions; when two threads write to the same
 * connection at once, the second parks for that moment. On a non-blocking thread BlockHound turns
 * the park into a {@code BlockingOperationError}, so the {@code finally} decrements a count that
 * was never incremented: the count goes negative, and every later write on that connection spins
 * at 100% CPU in {@code incrementWriters()} while holding the lock (the event loop it runs on stops
 * serving HTTP). Without BlockHound, as in production, the park lasts nanoseconds and nothing leaks.
 */
public final class LettuceBlockHoundIntegration implements BlockHoundIntegration {

  /** The class of Lettuce's per-connection writer lock. */
  static final String SHARED_LOCK = "io.lettuce.core.protocol.SharedLock";

  @Override
  public void applyTo(BlockHound.Builder builder) {
    // A command's write: a momentary wait on the writer lock, under contention only.
    builder.allowBlockingCallsInside(SHARED_LOCK, "incrementWriters");
    // Connect, reconnect and reset take the same lock exclusively; they park for the same moment.
    builder.allowBlockingCallsInside(SHARED_LOCK, "doExclusive");
  }
}
