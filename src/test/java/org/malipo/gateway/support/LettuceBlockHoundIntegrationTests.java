package org.malipo.gateway.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Proves {@link LettuceBlockHoundIntegration} is loaded: a Redis command's write that must wait
 * for Lettuce's writer lock on a non-blocking thread completes, and the lock's writer count comes
 * back to zero (without the entry it ends at -1 and the connection's next write spins forever).
 */
class LettuceBlockHoundIntegrationTests {

  private static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(10);

  @Test
  void aWriteWaitingForTheWriterLockOnANonBlockingThreadLeavesTheCountBalanced() throws Exception {
    Class<?> type = Class.forName(LettuceBlockHoundIntegration.SHARED_LOCK);
    Constructor<?> constructor = type.getDeclaredConstructor();
    constructor.setAccessible(true);
    Object sharedLock = constructor.newInstance();
    Method increment = accessible(type.getDeclaredMethod("incrementWriters"));
    Method decrement = accessible(type.getDeclaredMethod("decrementWriters"));
    ReentrantLock inner = (ReentrantLock) accessible(type.getDeclaredField("lock")).get(sharedLock);
    Field writers = accessible(type.getDeclaredField("writers"));

    // Another writer holds the lock until the write below is queued behind it, so the write parks.
    CountDownLatch held = new CountDownLatch(1);
    Thread holder = new Thread(() -> {
      inner.lock();
      try {
        held.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!inner.hasQueuedThreads() && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
      } finally {
        inner.unlock();
      }
    }, "other-writer");
    holder.start();
    assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();

    // DefaultEndpoint.write's shape: the increment inside the try, the decrement in its finally.
    Mono.fromRunnable(() -> {
          try {
            invoke(increment, sharedLock);
          } finally {
            invoke(decrement, sharedLock);
          }
        })
        .subscribeOn(Schedulers.parallel())
        .as(StepVerifier::create)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    holder.join(5_000);

    assertThat(writers.getLong(sharedLock)).isZero();
  }

  private static <T extends java.lang.reflect.AccessibleObject> T accessible(T member) {
    member.setAccessible(true);
    return member;
  }

  private static void invoke(Method method, Object target) {
    try {
      method.invoke(target);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }
}
