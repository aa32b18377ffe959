package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.RailOutcome;

/**
 * The one decision of a payment's outcome ({@link Payment#resolve}) and {@link Pricing} per payment
 * method (issue 18: mobile money used to pay the card fee).
 */
class PaymentResolveUnitTests {

  private static final Instant AT = Instant.parse("2026-12-07T10:00:00Z");
  private static final Pricing PRICING = new Pricing(290, 150,
      Map.of("mer_vip", new Pricing.Override(100, null)));

  @Test
  void anApprovalCapturesWithTheFeeOfItsMethod() {
    Payment card = card("mer_a").resolve(new RailOutcome.Approved("acquirer_a", "auth_1", "00"), PRICING, AT);
    Payment mpesa = mpesa("mer_a").resolve(new RailOutcome.Approved("mpesa", "ws_CO_1", "RCT1"), PRICING, AT);

    assertThat(card.status()).isEqualTo(PaymentStatus.SUCCEEDED);
    assertThat(card.fee()).isEqualTo(new Money(290, CurrencyUnit.KES));
    assertThat(mpesa.fee()).as("mobile money does not pay the card fee").isEqualTo(new Money(150, CurrencyUnit.KES));
    assertThat(mpesa.provider()).isEqualTo("mpesa");
  }

  @Test
  void aMerchantOverrideReplacesOnlyTheRatesItNames() {
    assertThat(PRICING.feeFor(card("mer_vip"))).isEqualTo(new Money(100, CurrencyUnit.KES));
    assertThat(PRICING.feeFor(mpesa("mer_vip"))).isEqualTo(new Money(150, CurrencyUnit.KES));
  }

  @Test
  void declinesAndRailsThatSurelyDidNotProcessFailWithNothingCharged() {
    Payment declined = card("mer_a").resolve(
        new RailOutcome.Declined("acquirer_a", "auth_2", "51", "insufficient_funds", "Insufficient funds."), PRICING, AT);
    Payment notAttempted = card("mer_a").resolve(new RailOutcome.NotAttempted("acquirer_a", "http_503"), PRICING, AT);

    assertThat(declined.status()).isEqualTo(PaymentStatus.FAILED);
    assertThat(declined.failure().code()).isEqualTo("insufficient_funds");
    assertThat(declined.fee().amountMinor()).isZero();
    assertThat(notAttempted.failure().code()).isEqualTo("provider_unavailable");
  }

  @Test
  void anUnknownAnswerLeavesThePaymentProcessingAndAPendingOneWaits() {
    Payment unknown = card("mer_a").resolve(new RailOutcome.Unknown("acquirer_a", "timeout"), PRICING, AT);
    Payment pending = mpesa("mer_a").resolve(new RailOutcome.Pending("mpesa", "ws_CO_2"), PRICING, AT);

    assertThat(unknown.status()).isEqualTo(PaymentStatus.PROCESSING);
    assertThat(unknown.provider()).isEqualTo("acquirer_a");
    assertThat(pending.status()).isEqualTo(PaymentStatus.PENDING);
  }

  @Test
  void aFinalPaymentIsNeverReopened() {
    Payment failed = card("mer_a").resolve(new RailOutcome.NotAttempted("acquirer_a", "refused"), PRICING, AT);

    assertThatThrownBy(() -> failed.resolve(new RailOutcome.Approved("acquirer_a", "auth_3", "00"), PRICING, AT))
        .isInstanceOf(IllegalStateException.class);
  }

  private static Payment card(String merchant) {
    return processing(merchant, new MaskedCard("visa", "424242", "4242", "fp"), null);
  }

  private static Payment mpesa(String merchant) {
    return processing(merchant, null, new MobileWallet("mpesa", "+254708374149"));
  }

  private static Payment processing(String merchant, MaskedCard card, MobileWallet wallet) {
    return new Payment("pay_1", merchant, "key-1", PaymentStatus.PROCESSING, new Money(10_000, CurrencyUnit.KES),
        new Money(0, CurrencyUnit.KES), null, null, Map.of(), card, wallet, null, null, null, 1, AT, AT);
  }
}
