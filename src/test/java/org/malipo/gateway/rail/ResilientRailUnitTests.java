package org.malipo.gateway.rail;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.timeout.ReadTimeoutException;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * How {@link ResilientRail} turns an adapter's errors into outcomes (ADR 0003): only
 * {@link RailException#notCharged} is not-attempted; {@link RailException#mayHaveCharged} and any
 * other error are unknown; a failed status query is always unknown.
 */
class ResilientRailUnitTests {

  private static final Duration VERIFY = Duration.ofSeconds(5);
  private static final RailRequest REQUEST = new RailRequest("pay_1", "att_1_1", "mer_1",
      new Money(1_000, CurrencyUnit.KES), new CardData("4242424242424242", 12, 2030, "123"), "order-1");
  private static final RefundRequest REFUND = new RefundRequest("ref_1", "pay_1", "auth_1",
      new Money(1_000, CurrencyUnit.KES));

  @Test
  void notChargedIsNotAttemptedByTheRailNotShed() {
    failingWith(RailException.notCharged("acquirer_a answered HTTP 503 service_unavailable (91)")).authorize(REQUEST)
        .as(StepVerifier::create)
        .expectNext(new RailOutcome.NotAttempted("acquirer_a", "acquirer_a answered HTTP 503 service_unavailable (91)",
            false))
        .expectComplete()
        .verify(VERIFY);
  }

  @Test
  void mayHaveChargedIsUnknownNeverNotAttempted() {
    failingWith(RailException.mayHaveCharged("acquirer_a: authorization sent, but no answer was read", null))
        .authorize(REQUEST)
        .as(StepVerifier::create)
        .expectNext(new RailOutcome.Unknown("acquirer_a", "acquirer_a: authorization sent, but no answer was read"))
        .expectComplete()
        .verify(VERIFY);
  }

  @Test
  void anyOtherErrorIsUnknownQuotingOnlyItsClass() {
    failingWith(new IllegalStateException("4242424242424242 leaked into a message")).authorize(REQUEST)
        .as(StepVerifier::create)
        .expectNext(new RailOutcome.Unknown("acquirer_a", "transport_error: IllegalStateException"))
        .expectComplete()
        .verify(VERIFY);
  }

  @Test
  void aResponseTimeoutInsideMayHaveChargedIsReportedAsTheTimeout() {
    failingWith(RailException.mayHaveCharged("acquirer_a: authorization sent, but no answer was read",
        ReadTimeoutException.INSTANCE)).authorize(REQUEST)
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Unknown.class,
            unknown -> assertThat(unknown.reason()).startsWith("timeout")))
        .expectComplete()
        .verify(VERIFY);
  }

  @Test
  void refundsFollowTheSameSplit() {
    failingWith(RailException.notCharged("acquirer_a: refund not sent (ConnectException)")).refund(REFUND)
        .as(StepVerifier::create)
        .expectNext(new RefundOutcome.NotAttempted("acquirer_a", "acquirer_a: refund not sent (ConnectException)"))
        .expectComplete()
        .verify(VERIFY);
    failingWith(RailException.mayHaveCharged("acquirer_a: refund sent, but no answer was read", null)).refund(REFUND)
        .as(StepVerifier::create)
        .expectNext(new RefundOutcome.Unknown("acquirer_a", "acquirer_a: refund sent, but no answer was read"))
        .expectComplete()
        .verify(VERIFY);
  }

  @Test
  void aStatusQueryThatFailedIsUnknownEvenWhenItWasNotSent() {
    // "Not sent" is about the query: it says nothing about whether the original was processed.
    failingWith(RailException.notCharged("acquirer_a: status query not sent (ConnectException)"))
        .queryStatus("att_1_1")
        .as(StepVerifier::create)
        .expectNext(new RailOutcome.Unknown("acquirer_a", "status query: acquirer_a: status query not sent (ConnectException)"))
        .expectComplete()
        .verify(VERIFY);
  }

  private static ResilientRail failingWith(Throwable error) {
    RailAdapter failing = new RailAdapter() {
      @Override
      public String name() {
        return "acquirer_a";
      }

      @Override
      public PaymentMethodType methodType() {
        return PaymentMethodType.CARD;
      }

      @Override
      public Set<CurrencyUnit> currencies() {
        return Set.of(CurrencyUnit.KES);
      }

      @Override
      public Mono<RailOutcome> authorize(RailRequest request) {
        return Mono.error(error);
      }

      @Override
      public Mono<RefundOutcome> refund(RefundRequest request) {
        return Mono.error(error);
      }

      @Override
      public Mono<RailOutcome> queryStatus(String railReference) {
        return Mono.error(error);
      }
    };
    return ResilientRail.of(failing,
        new RailLimits(Duration.ofSeconds(2), 10, 100, 50f, 80f, Duration.ofSeconds(2), 50, 20, Duration.ofSeconds(10), 5));
  }
}
