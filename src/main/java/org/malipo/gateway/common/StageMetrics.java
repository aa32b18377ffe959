package org.malipo.gateway.common;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Latency and outcome of each pipeline stage: timer {@code malipo.pipeline.stage} with tags
 * {@code stage} and {@code outcome} ({@code success}, {@code error} or a stage-specific value
 * such as the fraud decision), which Prometheus also exposes as a count per outcome.
 */
@Component
public final class StageMetrics {

  /** Timer name. */
  public static final String METER = "malipo.pipeline.stage";

  private final MeterRegistry registry;
  /**
   * The timers already registered, by stage and outcome: a lookup here is a map read, where the
   * registry's builder allocated a meter id and a tag list per call (several per payment). Stages
   * and outcomes are fixed sets, so the map stays small.
   */
  private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

  StageMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Times {@code stage} from subscription to its signal.
   *
   * @param stage e.g. {@code validate}, {@code fraud}, {@code rail}
   * @param outcome derives the outcome tag from the stage's value
   * @return {@code mono}, timed; signals are unchanged
   */
  public <T> Mono<T> timed(String stage, Function<T, String> outcome, Mono<T> mono) {
    return Mono.defer(() -> {
      Timer.Sample sample = Timer.start(registry);
      return mono
          .doOnNext(value -> sample.stop(timer(stage, outcome.apply(value))))
          .doOnError(error -> sample.stop(timer(stage, "error")));
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
