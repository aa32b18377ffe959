package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.payment.CreatePaymentRequest.PaymentMethodRequest;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.MobileMoneyPayer;

/**
 * Issue 22's operators before any rail call: each test number is accepted with its currency, the
 * currency must be the wallet country's, Airtel takes whole units (XOF and XAF have exponent 0),
 * with the same problem codes as M-Pesa and MoMo.
 */
class RegionalOperatorsValidationUnitTests {

  private final PaymentRequestValidator validator = new PaymentRequestValidator(
      new PaymentProperties(Map.of(), null, null, null, null),
      new org.malipo.gateway.common.KeyedHashes("a-test-fingerprint-key"),
      Clock.fixed(Instant.parse("2026-11-21T10:00:00Z"), ZoneOffset.UTC));

  private static CreatePaymentRequest wallet(String operator, String msisdn, long amount, String currency) {
    return new CreatePaymentRequest(amount, currency,
        new PaymentMethodRequest("mobile_money", null, null, null, null, operator, msisdn), "order-1", null, null, null);
  }

  private ApiProblem problem(CreatePaymentRequest request) {
    return catchThrowableOfType(ApiProblem.class, () -> validator.validate("mer_1", "key", "fp", request));
  }

  @ParameterizedTest(name = "{0} {1} {3}")
  @CsvSource({
      "airtel, +254733000000, 15000, KES, AIRTEL",
      "airtel, +254733000001, 15000, KES, AIRTEL",
      "airtel, +254733000003, 15000, KES, AIRTEL",
      "airtel, +256750000000, 5000, UGX, AIRTEL",
      "airtel, +265990000000, 1000, MWK, AIRTEL",
      "airtel, +242050000000, 1000, XAF, AIRTEL",
      "airtel, +24107400000, 1000, XAF, AIRTEL",
      "airtel, +23566000000, 1000, XAF, AIRTEL",
      "orange, +2250707000000, 5000, XOF, ORANGE",
      "orange, +2250707000001, 5001, XOF, ORANGE",
      "orange, +221770000000, 5000, XOF, ORANGE",
      "orange, +237690000000, 5000, XAF, ORANGE",
      "telecel, +233200000000, 1050, GHS, TELECEL",
      "telecel, +233200000001, 1000, GHS, TELECEL",
      "mtn_momo, +233240000000, 1000, GHS, MTN_MOMO",
      "airteltigo, +233270000000, 1000, GHS, AIRTELTIGO"})
  void acceptsEachTestWalletInItsCurrency(String operator, String msisdn, long amount, String currency,
      MobileMoneyOperator expected) {
    PaymentCommand command = validator.validate("mer_1", "key", "fp", wallet(operator, msisdn, amount, currency));
    assertThat(((MobileMoneyPayer) command.instrument()).operator()).isEqualTo(expected);
    assertThat(((MobileMoneyPayer) command.instrument()).msisdn()).isEqualTo(msisdn);
  }

  @Test
  void mpesaTakesAtMostItsDocumentedMaximum() {
    assertThat(validator.validate("mer_1", "key", "fp", wallet("mpesa", "+254708374149", 25_000_000, "KES")))
        .isNotNull();
    ApiProblem problem = problem(wallet("mpesa", "+254708374149", 25_000_100, "KES"));
    assertThat(problem.code()).isEqualTo(ProblemCode.AMOUNT_INVALID);
    assertThat(problem.param()).isEqualTo("amount");
  }

  @Test
  void airtelTakesWholeUnitsOnly() {
    ApiProblem problem = problem(wallet("airtel", "+254733000000", 15_050, "KES"));
    assertThat(problem.code()).isEqualTo(ProblemCode.AMOUNT_INVALID);
    assertThat(problem.param()).isEqualTo("amount");
  }

  @Test
  void theCurrencyMustBeTheWalletCountrysOrTheOperatorsAtAll() {
    assertThat(problem(wallet("airtel", "+254733000000", 15_000, "UGX")).code()).isEqualTo(ProblemCode.CURRENCY_UNSUPPORTED);
    assertThat(problem(wallet("orange", "+2250707000000", 5_000, "XAF")).code()).isEqualTo(ProblemCode.CURRENCY_UNSUPPORTED);
    assertThat(problem(wallet("orange", "+2250707000000", 5_000, "KES")).code()).isEqualTo(ProblemCode.CURRENCY_UNSUPPORTED);
    assertThat(problem(wallet("telecel", "+233200000000", 1_000, "NGN")).code()).isEqualTo(ProblemCode.CURRENCY_UNSUPPORTED);
  }

  @Test
  void aNumberOfAnotherOperatorOrCountryIsRefused() {
    ApiProblem safaricom = problem(wallet("airtel", "+254708374149", 15_000, "KES"));
    assertThat(safaricom.code()).isEqualTo(ProblemCode.PARAMETER_INVALID);
    assertThat(safaricom.param()).isEqualTo("payment_method.msisdn");
    assertThat(problem(wallet("telecel", "+233240000000", 1_000, "GHS")).param()).isEqualTo("payment_method.msisdn");
    assertThat(problem(wallet("orange", "+254733000000", 1_000, "XOF")).param()).isEqualTo("payment_method.msisdn");
  }

  @Test
  void anUnknownOperatorNamesTheNewOnes() {
    ApiProblem problem = problem(wallet("vodafone", "+233200000000", 1_000, "GHS"));
    assertThat(problem.code()).isEqualTo(ProblemCode.PARAMETER_INVALID);
    assertThat(problem.getMessage()).contains("airtel").contains("orange").contains("telecel").contains("airteltigo");
  }
}
