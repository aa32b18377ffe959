package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.RailOutcome;

/** The aggregate's moves for manual capture (docs/adr/0082): hold, capture, cancel, and what they refuse. */
class PaymentCaptureUnitTests {

  private static final Instant AT = Instant.parse("2026-12-07T10:00:00Z");
  private static final Pricing PRICING = new Pricing(290, 150, Map.of());
  private static final RailOutcome APPROVED = new RailOutcome.Approved("acquirer_a", "auth_1", "00");

  @Test
  void anApprovedManualAuthorizationIsHeldWithoutAFee() {
    Payment held = manual().resolve(APPROVED, PRICING, AT);

    assertThat(held.status()).isEqualTo(PaymentStatus.REQUIRES_CAPTURE);
    assertThat(held.fee().amountMinor()).isZero();
    assertThat(held.amountCaptured()).isNull();
    assertThat(held.provider()).isEqualTo("acquirer_a");
  }

  @Test
  void aPartialCaptureChargesTheFeeOnTheCapturedAmountOnly() {
    Payment captured = manual().resolve(APPROVED, PRICING, AT).capture(kes(6_000), PRICING, AT);

    assertThat(captured.status()).isEqualTo(PaymentStatus.SUCCEEDED);
    assertThat(captured.amount()).isEqualTo(kes(10_000));
    assertThat(captured.amountCaptured()).isEqualTo(kes(6_000));
    assertThat(captured.fee()).isEqualTo(kes(174));
  }

  @Test
  void refusesACaptureAboveTheAuthorizationOrOfAnythingButAHeldPayment() {
    Payment held = manual().resolve(APPROVED, PRICING, AT);
    assertThatThrownBy(() -> held.capture(kes(10_001), PRICING, AT)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> held.capture(kes(0), PRICING, AT)).isInstanceOf(IllegalArgumentException.class);
    Payment captured = held.capture(kes(10_000), PRICING, AT);
    assertThatThrownBy(() -> captured.capture(kes(1), PRICING, AT)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> captured.cancel(null, AT)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> manual().capture(kes(1), PRICING, AT)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void cancelsAHeldPaymentFinallyWithItsReason() {
    Payment canceled = manual().resolve(APPROVED, PRICING, AT).cancel(Payment.EXPIRED, AT);

    assertThat(canceled.status()).isEqualTo(PaymentStatus.CANCELED);
    assertThat(canceled.cancellationReason()).isEqualTo("expired");
    assertThat(canceled.status().isFinal()).isTrue();
    assertThatThrownBy(() -> canceled.capture(kes(1), PRICING, AT)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> canceled.resolve(APPROVED, PRICING, AT)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theStateMachineAllowsOnlyTheHoldsMoves() {
    assertThat(PaymentStatus.PROCESSING.canMoveTo(PaymentStatus.REQUIRES_CAPTURE)).isTrue();
    assertThat(PaymentStatus.REQUIRES_CAPTURE.canMoveTo(PaymentStatus.SUCCEEDED)).isTrue();
    assertThat(PaymentStatus.REQUIRES_CAPTURE.canMoveTo(PaymentStatus.CANCELED)).isTrue();
    assertThat(PaymentStatus.REQUIRES_CAPTURE.canMoveTo(PaymentStatus.FAILED)).isFalse();
    assertThat(PaymentStatus.REQUIRES_ACTION.canMoveTo(PaymentStatus.CANCELED)).isTrue();
    assertThat(PaymentStatus.PENDING.canMoveTo(PaymentStatus.CANCELED)).isFalse();
    for (PaymentStatus next : PaymentStatus.values()) {
      assertThat(PaymentStatus.CANCELED.canMoveTo(next)).isFalse();
    }
    assertThat(OutcomeWriter.eventType(PaymentStatus.REQUIRES_CAPTURE, PaymentStatus.SUCCEEDED)).isEqualTo("payment.captured");
    assertThat(OutcomeWriter.eventType(PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED)).isEqualTo("payment.succeeded");
    assertThat(OutcomeWriter.eventType(PaymentStatus.REQUIRES_CAPTURE, PaymentStatus.CANCELED)).isEqualTo("payment.canceled");
  }

  @Test
  void anAutomaticPaymentIsCapturedAtOnce() {
    Payment automatic = new Payment("pay_2", "mer_a", "key-2", PaymentStatus.PROCESSING, kes(10_000), kes(0), null, null,
        Map.of(), new MaskedCard("visa", "424242", "4242", "fp"), null, null, null, null, 1, AT, AT);
    assertThat(automatic.resolve(APPROVED, PRICING, AT).status()).isEqualTo(PaymentStatus.SUCCEEDED);
  }

  private static Money kes(long minor) {
    return new Money(minor, CurrencyUnit.KES);
  }

  private static Payment manual() {
    return new Payment("pay_1", "mer_a", "key-1", PaymentStatus.PROCESSING, kes(10_000), kes(0), null, null, Map.of(),
        new MaskedCard("visa", "424242", "4242", "fp"), null, null, null, null, 1, AT, AT, Payment.CaptureMethod.MANUAL,
        null, null, false);
  }
}
