package org.malipo.gateway.fraud;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.common.RedisSubscriptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Flux;

/**
 * Fraud scoring without the network: the static rules, the velocity rules on counters Redis
 * "answered" at once (a stub), and the Reactor chain around them (timeout, boundedElastic hop).
 * The Redis round trip itself is what the end-to-end benchmark measures.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FraudScorerBenchmark {

  private FraudScorer scorer;
  private FraudCheck check;

  /** A scorer whose Redis answers {1 payment this minute, 1,500 this hour, not blocklisted}. */
  @Setup
  @SuppressWarnings("unchecked")
  public void setUp() {
    ReactiveStringRedisTemplate redis = mock(ReactiveStringRedisTemplate.class);
    when(redis.execute(any(RedisScript.class), anyList(), anyList()))
        .thenAnswer(invocation -> Flux.just(List.of(1L, 1_500L, 0L)));
    VelocityCounters counters = new VelocityCounters(redis, new RedisSubscriptions(), "malipo-jmh:", Clock.systemUTC());
    scorer = new FraudScorer(new FraudProperties(Map.of(), null, null, null, Set.of("410000"), Duration.ofMillis(150)),
        counters);
    check = new FraudCheck("mer_demo", new Money(1_500, CurrencyUnit.fromCode("KES").orElseThrow()), "424242",
        "ef80c2dc5ccd87a6e7b67d25f4d152392a97e3d12da70d64732e760479a9029f", "key-1");
  }

  /** One payment scored (blocking here is the benchmark's own thread, not an event loop). */
  @Benchmark
  public RiskAssessment score() {
    return scorer.score(check).block(Duration.ofSeconds(1));
  }
}
