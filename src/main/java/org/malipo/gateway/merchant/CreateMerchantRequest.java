package org.malipo.gateway.merchant;

import java.util.Locale;
import java.util.Set;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;

/**
 * Body of {@code POST /v1/merchants}: {@code {"name": "...", "country": "KE"}}.
 *
 * @param name display name, 1-100 characters after trimming, no control characters
 * @param country ISO 3166-1 alpha-2 code, upper case
 */
record CreateMerchantRequest(String name, String country) {

  static final int MAX_NAME_LENGTH = 100;
  private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());

  /**
   * This request with the name trimmed, once every field is valid.
   *
   * @throws ApiProblem {@code 400 parameter_missing} or {@code 400 parameter_invalid}, with
   *     {@code param}
   */
  CreateMerchantRequest validated() {
    if (name == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "name", "'name' is required.");
    }
    String trimmed = name.strip();
    int length = trimmed.codePointCount(0, trimmed.length());
    if (length < 1 || length > MAX_NAME_LENGTH || trimmed.codePoints().anyMatch(Character::isISOControl)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "name",
          "'name' must be 1-" + MAX_NAME_LENGTH + " characters without control characters.");
    }
    if (country == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "country", "'country' is required.");
    }
    if (!COUNTRIES.contains(country)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "country",
          "'country' must be an upper-case ISO 3166-1 alpha-2 code such as KE.");
    }
    return new CreateMerchantRequest(trimmed, country);
  }
}
