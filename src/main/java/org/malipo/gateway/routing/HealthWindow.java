package org.malipo.gateway.routing;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The sliding window of one rail's outcomes on this instance: the last {@code window} of time in
 * {@value #BUCKETS} buckets, so memory is fixed whatever the traffic. Lock-free (a CAS per
 * recorded outcome), safe to call from event loops.
 */
final class HealthWindow {

  /** Buckets per window: the window moves in steps of a tenth of its length. */
  static final int BUCKETS = 10;

  private final Clock clock;
  private final long bucketMillis;
  private final AtomicReferenceArray<Bucket> buckets = new AtomicReferenceArray<>(BUCKETS);

  /**
   * @param clock the time source (a fixed or stepping clock in tests)
   * @param windowMillis how far back outcomes count, at least {@value #BUCKETS} ms
   */
  HealthWindow(Clock clock, long windowMillis) {
    if (windowMillis < BUCKETS) {
      throw new IllegalArgumentException("window must be at least " + BUCKETS + " ms: " + windowMillis);
    }
    this.clock = clock;
    this.bucketMillis = windowMillis / BUCKETS;
  }

  /**
   * Counts one outcome.
   *
   * @param success whether the rail worked (a decline is a success of the rail)
   * @param latencyMs the call's wall time in milliseconds; only successes' latencies are kept
   */
  void record(boolean success, long latencyMs) {
    long step = clock.millis() / bucketMillis;
    int index = (int) Math.floorMod(step, (long) BUCKETS);
    long latency = Math.max(0, latencyMs);
    buckets.updateAndGet(index, bucket -> {
      Bucket current = bucket == null || bucket.step() != step ? new Bucket(step, 0, 0, 0) : bucket;
      return success
          ? new Bucket(step, current.successes() + 1, current.failures(), current.successLatencyMs() + latency)
          : new Bucket(step, current.successes(), current.failures() + 1, current.successLatencyMs());
    });
  }

  /** The outcomes of the buckets still inside the window. */
  Totals totals() {
    long now = clock.millis() / bucketMillis;
    long successes = 0;
    long failures = 0;
    long latencyMs = 0;
    for (int i = 0; i < BUCKETS; i++) {
      Bucket bucket = buckets.get(i);
      if (bucket != null && bucket.step() > now - BUCKETS && bucket.step() <= now) {
        successes += bucket.successes();
        failures += bucket.failures();
        latencyMs += bucket.successLatencyMs();
      }
    }
    return new Totals(successes, failures, latencyMs);
  }

  /** Forgets every outcome (tests, operators after a rail change). */
  void clear() {
    for (int i = 0; i < BUCKETS; i++) {
      buckets.set(i, null);
    }
  }

  /**
   * Counts of the window.
   *
   * @param successes calls the rail answered (approved, declined, pending)
   * @param failures calls that failed at the rail (refused, 5xx, timeout, unknown answer)
   * @param successLatencyMs sum of the successes' latencies, milliseconds
   */
  record Totals(long successes, long failures, long successLatencyMs) {

    long samples() {
      return successes + failures;
    }
  }

  private record Bucket(long step, long successes, long failures, long successLatencyMs) {}
}
