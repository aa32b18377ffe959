package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;

/** The aggregate's 3-D Secure moves (docs/adr/0083) and the view's next_action. */
class ThreeDSecurePaymentUnitTests {

  private static final Instant AT = Instant.parse("2026-12-07T10:00:00Z");

  private static Payment processing(String returnUrl) {
    Money kes = new Money(5_000, CurrencyUnit.KES);
    return new Payment("pay_1", "mer_a", "key-1", PaymentStatus.PROCESSING, kes, new Money(0, CurrencyUnit.KES), null,
        null, Map.of(), new MaskedCard("visa", "400000", "3220", "fp"), null, null, null, null, 0, AT, AT,
        Payment.CaptureMethod.AUTOMATIC, null, null, false, returnUrl);
  }

  @Test
  void aChallengedPaymentWaitsWithNoAttemptAndShowsWhereToGo() {
    Payment waiting = processing("https://shop.example/back").requireAction(AT.plusSeconds(1));

    assertThat(waiting.status()).isEqualTo(PaymentStatus.REQUIRES_ACTION);
    assertThat(waiting.attempts()).isZero();
    assertThat(waiting.returnUrl()).isEqualTo("https://shop.example/back");
    PaymentView.NextAction next = PaymentView.of(waiting).nextAction();
    assertThat(next.type()).isEqualTo("redirect_to_url");
    assertThat(next.redirectToUrl().url()).isEqualTo("/sandbox/acs/pay_1");
    assertThat(next.redirectToUrl().returnUrl()).isEqualTo("https://shop.example/back");
  }

  @Test
  void withoutAReturnUrlTheGatewaysResultPageIsUsedAndOnlyRequiresActionHasANextAction() {
    Payment waiting = processing(null).requireAction(AT);
    assertThat(PaymentView.of(waiting).nextAction().redirectToUrl().returnUrl()).isEqualTo("/three_d_secure/pay_1/result");
    assertThat(PaymentView.of(processing(null)).nextAction()).isNull();
    assertThat(PaymentView.of(waiting.fail(Payment.Failure.AUTHENTICATION_FAILED, AT)).nextAction()).isNull();
  }

  @Test
  void authenticatedStartsTheFirstAttemptAndAFailureChargesNothing() {
    Payment waiting = processing(null).requireAction(AT);
    Payment started = waiting.authenticated("acquirer_a", AT.plusSeconds(5));
    assertThat(started.status()).isEqualTo(PaymentStatus.PROCESSING);
    assertThat(started.attempts()).isEqualTo(1);
    assertThat(started.provider()).isEqualTo("acquirer_a");

    Payment failed = waiting.fail(Payment.Failure.AUTHENTICATION_TIMEOUT, AT);
    assertThat(failed.failure().code()).isEqualTo("authentication_timeout");
    assertThat(failed.fee().amountMinor()).isZero();
    assertThat(waiting.fail(Payment.Failure.AUTHENTICATION_FAILED, AT).failure().code()).isEqualTo("authentication_failed");
  }

  @Test
  void aFinalPaymentNeverWaitsForAuthenticationAgain() {
    Payment failed = processing(null).requireAction(AT).fail(Payment.Failure.AUTHENTICATION_FAILED, AT);
    assertThatThrownBy(() -> failed.requireAction(AT)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> failed.authenticated("acquirer_a", AT)).isInstanceOf(IllegalStateException.class);
  }
}
