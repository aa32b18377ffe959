package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.payment.CreatePaymentRequest.PaymentMethodRequest;

class PaymentRequestValidatorUnitTests {

  private static final Clock NOVEMBER_2026 = Clock.fixed(Instant.parse("2026-11-21T10:00:00Z"), ZoneOffset.UTC);

  private final PaymentRequestValidator validator = new PaymentRequestValidator(
      new PaymentProperties(Map.of("KES", 1_000_000L), null, null, null, null),
      new org.malipo.gateway.common.KeyedHashes("a-test-fingerprint-key"), NOVEMBER_2026);

  private static PaymentMethodRequest card(String number, int month, int year, String cvc) {
    return new PaymentMethodRequest("card", number, month, year, cvc, null, null);
  }

  private static CreatePaymentRequest request(Long amount, String currency, PaymentMethodRequest method) {
    return new CreatePaymentRequest(amount, currency, method, "order-1", null, null, null);
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
        "ref", null, tooMany, null);
    assertThat(problem(request).param()).isEqualTo("metadata");
    CreatePaymentRequest longReference = new CreatePaymentRequest(100L, "KES", card("4242424242424242", 12, 2030, "123"),
        "r".repeat(65), null, null, null);
    assertThat(problem(longReference).param()).isEqualTo("reference");
  }
  private static PaymentMethodRequest mpesa(String msisdn) {
    return new PaymentMethodRequest("mobile_money", null, null, null, null, "mpesa", msisdn);
  }

  private static CreatePaymentRequest withText(String reference, String description, Map<String, String> metadata) {
    return new CreatePaymentRequest(100L, "KES", card("4242424242424242", 12, 2030, "123"), reference, description,
        metadata, null);
  }

  /** Card numbers as people write them: 13, 16 and 19 digits, grouped by spaces or dashes, in text. */
  private static final List<String> CARD_NUMBERS_IN_TEXT = List.of(
      "4242424242424242",
      "4242 4242 4242 4242",
      "5555-5555-5555-4444",
      "card 4000 0000 0000 0002 exp 12/30",
      "qty 3 4242 4242 4242 4242",
      "4222222222222",
      "4000000000000000006",
      "pan:3530111333300000.");

  @Test
  void rejectsACardNumberInMetadataDescriptionOrReferenceNamingTheField() {
    for (String text : CARD_NUMBERS_IN_TEXT) {
      ApiProblem inDescription = problem(withText(null, text, null));
      assertThat(inDescription.code()).as(text).isEqualTo(ProblemCode.PARAMETER_INVALID);
      assertThat(inDescription.param()).as(text).isEqualTo("description");
      assertThat(inDescription.getMessage()).as(text).doesNotContain(text);
      ApiProblem inMetadata = problem(withText(null, null, Map.of("cart", "c-1", "order_note", text)));
      assertThat(inMetadata.code()).as(text).isEqualTo(ProblemCode.PARAMETER_INVALID);
      assertThat(inMetadata.param()).as(text).isEqualTo("metadata.order_note");
    }
    ApiProblem inReference = problem(withText("4242-4242-4242-4242", null, null));
    assertThat(inReference.code()).isEqualTo(ProblemCode.PARAMETER_INVALID);
    assertThat(inReference.param()).isEqualTo("reference");
    // A card number as a key is named by its object only: the param must not echo it.
    ApiProblem inKey = problem(withText(null, null, Map.of("4242424242424242", "x")));
    assertThat(inKey.code()).isEqualTo(ProblemCode.PARAMETER_INVALID);
    assertThat(inKey.param()).isEqualTo("metadata");
  }

  @Test
  void acceptsNumbersInTextThatAreNotCardNumbers() {
    List<String> texts = List.of(
        "4242424242424241", // fails the Luhn check
        "424242424242", // 12 digits
        "12345678901234567890", // 20 digits in one run: an id, not a card
        "+254 712 345 678",
        "2026-11-21 order 1042",
        "invoice 4242424242424241-7");
    for (String text : texts) {
      PaymentCommand command = validator.validate("mer_1", "key", "fp", withText("ref", text, Map.of("note", text)));
      assertThat(command.description()).isEqualTo(text);
      assertThat(command.metadata()).containsEntry("note", text);
    }
  }

  @Test
  void rejectsAnMsisdnWithCharactersThatAreNotPartOfTheNumber() {
    for (String msisdn : List.of("0712345678x", "0712345678 x", "+254 712 345 678 ext 5", "+254712345678;ext=5",
        "0712345678#5", "07I2345678", "0712ABCDEF", "tel:+254712345678", "(0712) 345 678", "0712.345.678",
        "+254712345678\u0000", "٠٧١٢٣٤٥٦٧٨")) {
      ApiProblem problem = problem(new CreatePaymentRequest(1_000L, "KES", mpesa(msisdn), null, null, null, null));
      assertThat(problem).as(msisdn).isNotNull();
      assertThat(problem.code()).as(msisdn).isEqualTo(ProblemCode.PARAMETER_INVALID);
      assertThat(problem.param()).as(msisdn).isEqualTo("payment_method.msisdn");
    }
  }

  @Test
  void acceptsAnMsisdnWrittenWithSpacesDashesACountryCodeOrTheNationalPrefix() {
    for (String msisdn : List.of("+254712345678", "0712345678", "0712 345 678", "0712-345-678", "+254 712 345 678",
        "254712345678")) {
      PaymentCommand command = validator.validate("mer_1", "key", "fp",
          new CreatePaymentRequest(1_000L, "KES", mpesa(msisdn), null, null, null, null));
      assertThat(command.wallet().msisdn()).as(msisdn).isEqualTo("+254712345678");
    }
  }
}
