package org.malipo.gateway.merchant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;

/** Validation of {@code POST /v1/merchants} bodies. */
class CreateMerchantRequestUnitTests {

  @Test
  void trimsAValidName() {
    assertThat(new CreateMerchantRequest("  Duka la Mama ", "KE").validated())
        .isEqualTo(new CreateMerchantRequest("Duka la Mama", "KE"));
  }

  @Test
  void countsNameLengthInCharactersNotUtf16Units() {
    String hundredEmoji = "\uD83D\uDE00".repeat(100);

    assertThat(new CreateMerchantRequest(hundredEmoji, "KE").validated().name()).isEqualTo(hundredEmoji);
  }

  @Test
  void refusesAMissingName() {
    assertProblem(new CreateMerchantRequest(null, "KE"), ProblemCode.PARAMETER_MISSING, "name");
  }

  @Test
  void refusesABlankName() {
    assertProblem(new CreateMerchantRequest("   ", "KE"), ProblemCode.PARAMETER_INVALID, "name");
  }

  @Test
  void refusesANameOver100Characters() {
    assertProblem(new CreateMerchantRequest("a".repeat(101), "KE"), ProblemCode.PARAMETER_INVALID, "name");
  }

  @Test
  void refusesControlCharactersInTheName() {
    assertProblem(new CreateMerchantRequest("Duka\u0000", "KE"), ProblemCode.PARAMETER_INVALID, "name");
  }

  @Test
  void refusesAMissingCountry() {
    assertProblem(new CreateMerchantRequest("Duka", null), ProblemCode.PARAMETER_MISSING, "country");
  }

  @Test
  void refusesLowerCaseUnknownAndAlpha3Countries() {
    assertProblem(new CreateMerchantRequest("Duka", "ke"), ProblemCode.PARAMETER_INVALID, "country");
    assertProblem(new CreateMerchantRequest("Duka", "XX"), ProblemCode.PARAMETER_INVALID, "country");
    assertProblem(new CreateMerchantRequest("Duka", "KEN"), ProblemCode.PARAMETER_INVALID, "country");
  }

  private static void assertProblem(CreateMerchantRequest request, ProblemCode code, String param) {
    assertThatThrownBy(request::validated).isInstanceOfSatisfying(ApiProblem.class, problem -> {
      assertThat(problem.code()).isEqualTo(code);
      assertThat(problem.param()).isEqualTo(param);
    });
  }
}
