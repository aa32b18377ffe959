package org.malipo.gateway.common;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Latency and outcome of each pipeline stage: timer {@code malipo.pipeline.stage} with tags
 * {@code stage} and {@code outcome} ({@code success}, {@code error} or a stage-specific value
 * such as the fraud decision), which Prometheus also exposes as a count per outcome.
 *
 * <p>When tracing is on (issue 24), each stage is also a span named {@code payment.<stage>} with
 * attribute {@code malipo.outcome}, a child of the span of the Reactor chain (the HTTP request's,
 * or the enclosing stage's): one trace per payment shows where its time went. With tracing off
 * (no {@link Tracer}, or the no-op one) nothing of this runs.
 */
@Component
public final class StageMetrics {

  /** Timer name. */
  public static final String METER = "malipo.pipeline.stage";

  private final MeterRegistry registry;
  /** Null when tracing is off: stages are then only timed. */
  private final Tracer tracer;
  /**
   * The timers already registered, by stage and outcome: a lookup here is a map read, where the
   * registry's builder allocated a meter id and a tag list per call (several per payment). Stages
   * and outcomes are fixed sets, so the map stays small.
   */
  private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

  StageMetrics(MeterRegistry registry, ObjectProvider<Tracer> tracer) {
    this.registry = registry;
    this.tracer = TraceScope.active(tracer.getIfAvailable());
  }

  /**
   * Times {@code stage} from subscription to its signal.
   *
   * @param stage e.g. {@code validate}, {@code fraud}, {@code rail}
   * @param outcome derives the outcome tag from the stage's value
   * @return {@code mono}, timed; signals are unchanged
   */
  public <T> Mono<T> timed(String stage, Function<T, String> outcome, Mono<T> mono) {
    Mono<T> timed = Mono.defer(() -> {
      Timer.Sample sample = Timer.start(registry);
      return mono
          .doOnNext(value -> sample.stop(timer(stage, outcome.apply(value))))
          .doOnError(error -> sample.stop(timer(stage, "error")));
    });
    return tracer == null ? timed : traced(stage, outcome, timed);
  }

  /** {@code mono} inside a span of its own, ended on its first signal or cancellation. */
  private <T> Mono<T> traced(String stage, Function<T, String> outcome, Mono<T> mono) {
    return Mono.deferContextual(context -> {
      Span parent = TraceScope.current(context);
      if (parent == null) {
        return mono; // outside a traced request (background jobs): no orphan trace per stage
      }
      Span span = tracer.nextSpan(parent).name("payment." + stage).start();
      Mono<T> inSpan = mono
          .doOnNext(value -> span.tag("malipo.outcome", outcome.apply(value)))
          .doOnError(span::error)
          .doFinally(signal -> span.end());
      // The stage's children (rail calls, statements) and its outbox rows find the span (TraceScope).
      return TraceScope.within(span, inSpan);
    });
  }

  /** Times {@code stage} with outcome {@code success} or {@code error}. */
  public <T> Mono<T> timed(String stage, Mono<T> mono) {
    return timed(stage, value -> "success", mono);
  }

  private Timer timer(String stage, String outcome) {
    return timers.computeIfAbsent(stage + '\u0000' + outcome,
        key -> Timer.builder(METER).tag("stage", stage).tag("outcome", outcome).register(registry));
  }
}
