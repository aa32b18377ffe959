package org.malipo.gateway.fraud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.fraud.RiskAssessment.Decision;
import org.malipo.gateway.fraud.VelocityCounters.Velocity;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class FraudScorerUnitTests {

  private static final FraudProperties PROPERTIES = new FraudProperties(
      Map.of("KES", 1_000_000L), null, 5, 10_000_000L, Set.of("666666"), Duration.ofMillis(100));

  private final VelocityCounters counters = mock(VelocityCounters.class);
  private final FraudScorer scorer = new FraudScorer(PROPERTIES, counters);

  private static FraudCheck check(long amountMinor, String bin) {
    return new FraudCheck("mer_1", new Money(amountMinor, CurrencyUnit.KES), bin, "fp", "key-1");
  }

  private void velocity(long perMinute, long perHour, boolean blocklisted) {
    when(counters.record(anyString(), anyLong(), anyString())).thenReturn(Mono.just(new Velocity(perMinute, perHour, blocklisted)));
  }

  @Test
  void allowsAnOrdinaryPayment() {
    velocity(1, 1_500, false);
    scorer.score(check(1_500, "424242")).as(StepVerifier::create)
        .assertNext(risk -> {
          assertThat(risk.decision()).isEqualTo(Decision.ALLOW);
          assertThat(risk.score()).isZero();
          assertThat(risk.degraded()).isFalse();
        })
        .verifyComplete();
  }

  @Test
  void blocksABlocklistedBinAndAnAmountOverTheMerchantLimit() {
    velocity(1, 1, false);
    scorer.score(check(1_500, "666666")).as(StepVerifier::create)
        .assertNext(risk -> {
          assertThat(risk.decision()).isEqualTo(Decision.BLOCK);
          assertThat(risk.reasons()).containsExactly("blocklisted_bin");
        })
        .verifyComplete();
    scorer.score(check(1_000_001, "424242")).as(StepVerifier::create)
        .assertNext(risk -> assertThat(risk.reasons()).contains("amount_over_merchant_limit"))
        .verifyComplete();
  }

  @Test
  void reviewsACardAboveItsPerMinuteVelocity() {
    velocity(6, 9_000, false);
    scorer.score(check(1_500, "424242")).as(StepVerifier::create)
        .assertNext(risk -> {
          assertThat(risk.decision()).isEqualTo(Decision.REVIEW);
          assertThat(risk.score()).isEqualTo(60);
          assertThat(risk.reasons()).containsExactly("card_velocity_minute");
        })
        .verifyComplete();
  }

  @Test
  void blocksABlocklistedCardFingerprint() {
    velocity(1, 1, true);
    scorer.score(check(1_500, "424242")).as(StepVerifier::create)
        .assertNext(risk -> assertThat(risk.decision()).isEqualTo(Decision.BLOCK))
        .verifyComplete();
  }

  @Test
  void skipsVelocityRulesAndFlagsDegradedWhenRedisDoesNotAnswer() {
    when(counters.record(anyString(), anyLong(), anyString())).thenReturn(Mono.never());
    // Real time (the 100 ms Redis timeout), not virtual time: StepVerifier.withVirtualTime swaps the
    // global schedulers, and background jobs of the suite's shared Spring context that schedule a
    // delay meanwhile land on it; the verifier then ran them on this thread without end.
    StepVerifier.create(scorer.score(check(1_500, "424242")))
        .assertNext(risk -> {
          assertThat(risk.degraded()).isTrue();
          assertThat(risk.decision()).isEqualTo(Decision.ALLOW);
          assertThat(risk.reasons()).containsExactly(RiskAssessment.VELOCITY_UNAVAILABLE);
        })
        .expectComplete()
        .verifyThenAssertThat(Duration.ofSeconds(5))
        .tookMoreThan(Duration.ofMillis(90));
  }
}
