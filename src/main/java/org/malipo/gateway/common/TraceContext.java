package org.malipo.gateway.common;

import java.util.function.Supplier;

/**
 * The W3C {@code traceparent} (https://www.w3.org/TR/trace-context/#traceparent-header,
 * {@code 00-<32 hex trace id>-<16 hex span id>-<flags>}) of the span whose work is being built on
 * this thread, for writers that store it beside what they write (the outbox row, issue 24). Set by
 * {@link StageMetrics} while a traced stage subscribes, which is when the pipeline builds its
 * statements; {@code null} when tracing is off, so an untraced write stores nothing.
 */
public final class TraceContext {

  private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

  private TraceContext() {}

  /** The traceparent of the work built on this thread now, or {@code null}. */
  public static String current() {
    return CURRENT.get();
  }

  /** Runs {@code work} with {@code traceparent} as {@link #current()}, restoring the previous value. */
  public static <T> T with(String traceparent, Supplier<T> work) {
    String previous = CURRENT.get();
    CURRENT.set(traceparent);
    try {
      return work.get();
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }

  /** The traceparent of a span with these ids, flag {@code 01} when sampled, else {@code 00}. */
  public static String traceparent(String traceId, String spanId, boolean sampled) {
    return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
  }
}
