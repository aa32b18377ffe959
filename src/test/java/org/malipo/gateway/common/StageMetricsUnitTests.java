package org.malipo.gateway.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Each stage and outcome gets one timer, reused by every payment, and signals pass unchanged. */
class StageMetricsUnitTests {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final StageMetrics metrics = new StageMetrics(registry, new org.springframework.beans.factory.support.StaticListableBeanFactory().getBeanProvider(io.micrometer.tracing.Tracer.class));

  @Test
  void countsEachOutcomeOnItsOwnTimer() {
    StepVerifier.create(metrics.timed("fraud", value -> value, Mono.just("allow"))).expectNext("allow").verifyComplete();
    StepVerifier.create(metrics.timed("fraud", value -> value, Mono.just("allow"))).expectNext("allow").verifyComplete();
    StepVerifier.create(metrics.timed("fraud", value -> value, Mono.just("block"))).expectNext("block").verifyComplete();
    StepVerifier.create(metrics.timed("rail", Mono.error(new IllegalStateException("down"))))
        .expectError(IllegalStateException.class).verify();

    assertThat(registry.get(StageMetrics.METER).tags("stage", "fraud", "outcome", "allow").timer().count()).isEqualTo(2);
    assertThat(registry.get(StageMetrics.METER).tags("stage", "fraud", "outcome", "block").timer().count()).isEqualTo(1);
    assertThat(registry.get(StageMetrics.METER).tags("stage", "rail", "outcome", "error").timer().count()).isEqualTo(1);
    assertThat(registry.get(StageMetrics.METER).timers()).hasSize(3);
  }
}
