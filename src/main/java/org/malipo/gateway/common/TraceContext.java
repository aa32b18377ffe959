package org.malipo.gateway.common;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.Map;
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
  private static final String HEADER = "traceparent";
  private static final TextMapGetter<Map<String, String>> FROM_MAP = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

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

  /**
   * The traceparent of a span with these ids (32 and 16 lower-case hex digits), sampled flag
   * {@code 01} or {@code 00}; {@code null} when the ids are not valid W3C ids.
   */
  public static String traceparent(String traceId, String spanId, boolean sampled) {
    SpanContext span = SpanContext.createFromRemoteParent(traceId, spanId,
        sampled ? TraceFlags.getSampled() : TraceFlags.getDefault(), TraceState.getDefault());
    Map<String, String> carrier = new HashMap<>(2);
    W3CTraceContextPropagator.getInstance().inject(Context.root().with(Span.wrap(span)), carrier, Map::put);
    return carrier.get(HEADER);
  }

  /**
   * The span a stored traceparent names, as a remote parent; {@code null} when {@code traceparent}
   * is null or not a valid traceparent (W3C Trace Context §3.2: version, 32- and 16-hex ids that
   * are not all zero, flags).
   */
  public static SpanContext parse(String traceparent) {
    if (traceparent == null) {
      return null;
    }
    Context extracted = W3CTraceContextPropagator.getInstance()
        .extract(Context.root(), Map.of(HEADER, traceparent), FROM_MAP);
    SpanContext parent = Span.fromContext(extracted).getSpanContext();
    return parent.isValid() ? parent : null;
  }
}
