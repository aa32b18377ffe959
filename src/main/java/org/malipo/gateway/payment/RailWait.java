package org.malipo.gateway.payment;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * The nanoseconds one payment request spent waiting for rails' answers, so
 * {@code malipo.payments.own_time} ({@link InFlightLimiter}) can report the gateway's own part of a
 * payment's latency: the rails' part is theirs, and an acquirer that slows from 20 ms to 2 s would
 * otherwise hide everything the gateway does.
 *
 * <p>{@link InFlightLimiter} puts one into the request's Reactor context; the pipeline adds each
 * rail call's duration with {@link #record}. Requests without one (tests that call the pipeline
 * directly) record nothing.
 */
final class RailWait {

  private final AtomicLong nanos = new AtomicLong();
  private final AtomicInteger calls = new AtomicInteger();

  /** The context of a request whose rail calls are to be added to {@code wait}. */
  static Context into(Context context, RailWait wait) {
    return context.put(RailWait.class, wait);
  }

  /** Adds one rail call's duration (ns) to the request's total, when the request carries one. */
  static void record(ContextView context, long railNanos) {
    RailWait wait = context.getOrDefault(RailWait.class, null);
    if (wait != null) {
      wait.nanos.addAndGet(railNanos);
      wait.calls.incrementAndGet();
    }
  }

  /** The total so far, ns. */
  long nanos() {
    return nanos.get();
  }

  /**
   * Whether a rail answered: only such payments went the whole way (claim, fraud, rail, outcome),
   * so only their times are comparable; a replay or a refused request takes a fraction of it.
   */
  boolean reachedRail() {
    return calls.get() > 0;
  }
}
