package org.malipo.gateway.common;

import io.micrometer.observation.Observation;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import java.util.function.Consumer;
import java.util.function.Supplier;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * Where the current span lives without automatic context propagation (issue 24,
 * docs/adr/0093): in the Reactor context, as the span of the enclosing pipeline stage or callback
 * ({@link #within}), else as the HTTP server observation's span that WebFlux puts there. Children
 * made from it (rail HTTP calls, PostgreSQL statements) and writers of a stored traceparent
 * ({@link TraceContext}) find it here. With tracing off nothing puts a span in the context, so
 * {@link #current} is {@code null} and every user does nothing.
 */
public final class TraceScope {

  /** Reactor context key of the span of the enclosing stage or callback. */
  private static final Object SPAN_KEY = TraceScope.class.getName() + ".span";

  private TraceScope() {}

  /**
   * The enclosing stage's or callback's span, else the span of the observation in the context
   * (the HTTP request's), else {@code null}.
   */
  public static Span current(ContextView context) {
    if (context.hasKey(SPAN_KEY)) {
      return context.get(SPAN_KEY);
    }
    Observation observation = context.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
    TracingObservationHandler.TracingContext tracing = observation == null ? null
        : observation.getContext().get(TracingObservationHandler.TracingContext.class);
    return tracing == null ? null : tracing.getSpan();
  }

  /**
   * The W3C traceparent of {@code span}, with its sampled flag: work that starts from a stored
   * one later (a webhook, a callback) is sampled exactly when the payment's trace was.
   */
  public static String traceparent(Span span) {
    return TraceContext.traceparent(span.context().traceId(), span.context().spanId(),
        Boolean.TRUE.equals(span.context().sampled()));
  }

  /**
   * {@code mono} with {@code span} as the current span of its Reactor context, subscribed with its
   * traceparent as {@link TraceContext#current()}: what it builds while subscribing (its
   * statements, their outbox rows) records it.
   */
  public static <T> Mono<T> within(Span span, Mono<T> mono) {
    String traceparent = traceparent(span);
    Mono<T> subscribedInSpan = new Mono<>() {
      @Override
      public void subscribe(CoreSubscriber<? super T> actual) {
        TraceContext.with(traceparent, () -> {
          mono.subscribe(actual);
          return null;
        });
      }
    };
    return subscribedInSpan.contextWrite(context -> context.put(SPAN_KEY, span));
  }

  /**
   * Like {@link Mono#defer}, with the traceparent of the subscriber's current span as
   * {@link TraceContext#current()} while {@code build} runs and its Mono is subscribed: for a
   * write built inside an operator (after a read), where the thread holds no trace of its own.
   */
  public static <T> Mono<T> deferInTrace(Supplier<Mono<T>> build) {
    return new Mono<>() {
      @Override
      public void subscribe(CoreSubscriber<? super T> actual) {
        Span span = current(actual.currentContext());
        Mono<T> source = Mono.defer(build);
        if (span == null) {
          source.subscribe(actual);
          return;
        }
        TraceContext.with(traceparent(span), () -> {
          source.subscribe(actual);
          return null;
        });
      }
    };
  }

  /**
   * A new span {@code name} whose parent is the span of a stored W3C {@code traceparent} (an
   * outbox row's, a payment's), so later work joins the trace that recorded it.
   *
   * @param tracer the tracer, or {@code null} when tracing is off
   * @param kind the span's kind, or {@code null} for an internal span
   * @return the started span; {@code null} when tracing is off or {@code traceparent} is null or
   *     not a valid W3C traceparent ({@link TraceContext#parse})
   */
  public static Span startChildOf(Tracer tracer, String traceparent, String name, Span.Kind kind) {
    if (tracer == null || traceparent == null) {
      return null;
    }
    io.opentelemetry.api.trace.SpanContext stored = TraceContext.parse(traceparent);
    if (stored == null) {
      return null;
    }
    io.micrometer.tracing.TraceContext remote = tracer.traceContextBuilder()
        .traceId(stored.getTraceId()).spanId(stored.getSpanId()).sampled(stored.isSampled()).build();
    Span.Builder builder = tracer.spanBuilder().setParent(remote).name(name);
    return (kind == null ? builder : builder.kind(kind)).start();
  }

  /**
   * {@code work}, built and run inside a new span {@code name} whose parent is the span of a
   * stored W3C {@code traceparent} ({@link #startChildOf}), started when the result is subscribed
   * and ended on its signal or cancellation: how later work for a payment (a callback, the 3-D
   * Secure result, a reconciler's resolution) joins the payment's trace (docs/adr/0089). Its
   * rail calls and statements are children of the span, its outbox rows record it.
   *
   * @param tracer the tracer, or {@code null} when tracing is off: {@code work} then runs as it is
   * @param traceparent the stored traceparent, or {@code null} (untraced: {@code work} runs as it is)
   * @param kind the span's kind, or {@code null} for an internal span
   * @param attributes tags the started span (never a card or payer number)
   */
  public static <T> Mono<T> joined(Tracer tracer, String traceparent, String name, Span.Kind kind,
      Consumer<Span> attributes, Supplier<Mono<T>> work) {
    if (tracer == null || traceparent == null) {
      return Mono.defer(work);
    }
    return Mono.defer(() -> {
      Span span = startChildOf(tracer, traceparent, name, kind);
      if (span == null) {
        return Mono.defer(work);
      }
      attributes.accept(span);
      return within(span, Mono.defer(work))
          .doOnError(span::error)
          .doFinally(signal -> span.end());
    });
  }

  /** The tracer, or {@code null} when there is none or it is the no-op one (tracing off). */
  public static Tracer active(Tracer tracer) {
    return tracer == null || tracer == Tracer.NOOP ? null : tracer;
  }
}
