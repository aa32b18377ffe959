package org.malipo.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StrictJsonUnitTests {

  record Method(String type, Integer expMonth) {}

  record Body(Long amount, String currency, Method paymentMethod) {}

  private final StrictJson json = new StrictJson();

  private ApiProblem problem(String body) {
    return catchThrowableOfType(ApiProblem.class, () -> json.read(body.getBytes(StandardCharsets.UTF_8), Body.class));
  }

  @Test
  void bindsSnakeCaseFields() {
    Body body = json.read("{\"amount\":100,\"currency\":\"KES\",\"payment_method\":{\"type\":\"card\",\"exp_month\":7}}"
        .getBytes(StandardCharsets.UTF_8), Body.class);
    assertThat(body.amount()).isEqualTo(100L);
    assertThat(body.paymentMethod().expMonth()).isEqualTo(7);
  }

  @Test
  void rejectsMalformedJsonDuplicateKeysAndDeepNesting() {
    assertThat(problem("{\"amount\":").code()).isEqualTo(ProblemCode.INVALID_JSON);
    assertThat(problem("{\"amount\":1,\"amount\":2}").code()).isEqualTo(ProblemCode.INVALID_JSON);
    assertThat(problem("[1]").code()).isEqualTo(ProblemCode.INVALID_JSON);
    assertThat(problem("").code()).isEqualTo(ProblemCode.INVALID_JSON);
    assertThat(problem("{} {}").code()).isEqualTo(ProblemCode.INVALID_JSON);
    String deep = "{\"a\":".repeat(33) + "1" + "}".repeat(33);
    assertThat(problem(deep).code()).isEqualTo(ProblemCode.INVALID_JSON);
  }

  @Test
  void namesTheUnknownParameter() {
    ApiProblem top = problem("{\"amount\":1,\"status\":\"succeeded\"}");
    assertThat(top.code()).isEqualTo(ProblemCode.PARAMETER_UNKNOWN);
    assertThat(top.param()).isEqualTo("status");
    ApiProblem nested = problem("{\"payment_method\":{\"type\":\"card\",\"pin\":\"1234\"}}");
    assertThat(nested.param()).isEqualTo("payment_method.pin");
  }

  @Test
  void refusesFractionalStringAndBooleanAmountsWithoutCoercion() {
    for (String amount : new String[] {"10.5", "\"1000\"", "true", "1e3"}) {
      ApiProblem problem = problem("{\"amount\":" + amount + "}");
      assertThat(problem.code()).as(amount).isEqualTo(ProblemCode.AMOUNT_INVALID);
      assertThat(problem.param()).isEqualTo("amount");
    }
  }

  @Test
  void refusesAnIntegerAmountOutOfLongRangeAsAmountInvalid() {
    for (String amount : new String[] {"9223372036854775808", "-9223372036854775809", "1000000000000000000000000000000"}) {
      ApiProblem problem = problem("{\"amount\":" + amount + "}");
      assertThat(problem.code()).as(amount).isEqualTo(ProblemCode.AMOUNT_INVALID);
      assertThat(problem.param()).as(amount).isEqualTo("amount");
    }
    // The largest long still binds: the range check is the validator's (per-currency maximum).
    assertThat(json.read("{\"amount\":9223372036854775807}".getBytes(StandardCharsets.UTF_8), Body.class).amount())
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void refusesAnIntegerOutOfRangeElsewhereAsParameterInvalidNamingTheField() {
    ApiProblem month = problem("{\"payment_method\":{\"exp_month\":2147483648}}");
    assertThat(month.code()).isEqualTo(ProblemCode.PARAMETER_INVALID);
    assertThat(month.param()).isEqualTo("payment_method.exp_month");
  }

  @Test
  void refusesWrongTypesElsewhereAsParameterInvalid() {
    ApiProblem number = problem("{\"currency\":404}");
    assertThat(number.code()).isEqualTo(ProblemCode.PARAMETER_INVALID);
    assertThat(number.param()).isEqualTo("currency");
    ApiProblem month = problem("{\"payment_method\":{\"exp_month\":\"07\"}}");
    assertThat(month.param()).isEqualTo("payment_method.exp_month");
  }

  @Test
  void canonicalFormIgnoresKeyOrderAndWhiteSpace() {
    String a = json.canonical(json.readObject("{\"b\":1, \"a\":{\"y\":2,\"x\":1}}".getBytes(StandardCharsets.UTF_8)));
    String b = json.canonical(json.readObject("{\"a\":{\"x\":1,\"y\":2},\"b\":1}".getBytes(StandardCharsets.UTF_8)));
    assertThat(a).isEqualTo(b).isEqualTo("{\"a\":{\"x\":1,\"y\":2},\"b\":1}");
  }
}
