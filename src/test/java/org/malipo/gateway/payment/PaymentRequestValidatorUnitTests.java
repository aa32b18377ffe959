package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.payment.CreatePaymentRequest.PaymentMethodRequest;

class PaymentRequestValidatorUnitTests {

  private static final Clock NOVEMBER_2026 = Clock.fixed(Instant.parse("2026-11-21T10:00:00Z"), ZoneOffset.UTC);

  private final PaymentRequestValidator validator = new PaymentRequestValidator(
      new PaymentProperties(Map.of("KES", 1_000_000L), null, null, null),
      new org.malipo.gateway.common.KeyedHashes("a-test-fingerprint-key"), NOVEMBER_2026);

  private static PaymentMethodRequest card(String number, int month, int year, String cvc) {
    return new PaymentMethodRequest("card", number, month, year, cvc, null, null);
  }

  private static CreatePaymentRequest request(Long amount, String currency, PaymentMethodRequest method) {
    return new CreatePaymentRequest(amount, currency, method, "order-1", null, null);
  }

  private ApiProblem problem(CreatePaymentRequest request) {
    return catchThrowableOfType(ApiProblem.class, () -> validator.validate("mer_1", "key", "fp", request));
  }

  @Test
  void acceptsAValidCardAndKeepsOnlyBinLast4AndAFingerprint() {
    PaymentCommand command = validator.validate("mer_1", "key", "fp",
        request(1_500L, "KES", card("4242424242424242", 12, 2030, "123")));
    assertThat(command.amount().amountMinor()).isEqualTo(1_500L);
    assertThat(command.maskedCard().bin()).isEqualTo("424242");
    assertThat(command.maskedCard().last4()).isEqualTo("4242");
    assertThat(command.maskedCard().brand()).isEqualTo("visa");
    assertThat(command.maskedCard().fingerprint()).hasSize(64).doesNotContain("4242424242424242");
    assertThat(command.toString()).doesNotContain("4242424242424242").doesNotContain("123");
  }

  @Test
  void rejectsAnUnsupportedCurrency() {
    ApiProblem problem = problem(request(100L, "JPY", card("4242424242424242", 12, 2030, "123")));
    assertThat(problem.code()).isEqualTo(ProblemCode.CURRENCY_UNSUPPORTED);
    assertThat(problem.param()).isEqualTo("currency");
  }

  @Test
  void rejectsZeroNegativeAndOverTheMaximumAmounts() {
    for (long amount : new long[] {0, -5, 1_000_001}) {
      ApiProblem problem = problem(request(amount, "KES", card("4242424242424242", 12, 2030, "123")));
      assertThat(problem.code()).as("amount %d", amount).isEqualTo(ProblemCode.AMOUNT_INVALID);
    }
  }

  @Test
  void rejectsALuhnFailureOnTheNumber() {
    ApiProblem problem = problem(request(100L, "KES", card("4242424242424241", 12, 2030, "123")));
    assertThat(problem.code()).isEqualTo(ProblemCode.PARAMETER_INVALID);
    assertThat(problem.param()).isEqualTo("payment_method.number");
  }

  @Test
  void rejectsAPastExpiryButAcceptsTheCurrentMonth() {
    assertThat(problem(request(100L, "KES", card("4242424242424242", 10, 2026, "123"))).param())
        .isEqualTo("payment_method.exp_month");
    assertThat(problem(request(100L, "KES", card("4242424242424242", 12, 2025, "123"))).param())
        .isEqualTo("payment_method.exp_year");
    assertThat(validator.validate("mer_1", "k", "fp", request(100L, "KES", card("4242424242424242", 11, 2026, "123"))))
        .isNotNull();
  }

  @Test
  void rejectsABadCvcAndMissingFields() {
    assertThat(problem(request(100L, "KES", card("4242424242424242", 12, 2030, "12"))).param())
        .isEqualTo("payment_method.cvc");
    ApiProblem missing = problem(request(null, "KES", card("4242424242424242", 12, 2030, "123")));
    assertThat(missing.code()).isEqualTo(ProblemCode.PARAMETER_MISSING);
    assertThat(missing.param()).isEqualTo("amount");
    assertThat(problem(request(100L, "KES", null)).param()).isEqualTo("payment_method");
  }

  @Test
  void rejectsMobileMoneyFieldsOnACard() {
    PaymentMethodRequest mixed = new PaymentMethodRequest("card", "4242424242424242", 12, 2030, "123", null, "+254708374149");
    ApiProblem problem = problem(request(100L, "KES", mixed));
    assertThat(problem.code()).isEqualTo(ProblemCode.PARAMETER_UNKNOWN);
    assertThat(problem.param()).isEqualTo("payment_method.msisdn");
  }

  @Test
  void limitsMetadataAndText() {
    Map<String, String> tooMany = new HashMap<>();
    for (int i = 0; i < 21; i++) {
      tooMany.put("k" + i, "v");
    }
    CreatePaymentRequest request = new CreatePaymentRequest(100L, "KES", card("4242424242424242", 12, 2030, "123"),
        "ref", null, tooMany);
    assertThat(problem(request).param()).isEqualTo("metadata");
    CreatePaymentRequest longReference = new CreatePaymentRequest(100L, "KES", card("4242424242424242", 12, 2030, "123"),
        "r".repeat(65), null, null);
    assertThat(problem(longReference).param()).isEqualTo("reference");
  }
}
