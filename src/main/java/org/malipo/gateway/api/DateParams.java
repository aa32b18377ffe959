package org.malipo.gateway.api;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/** Query parameters that name a UTC day ({@code YYYY-MM-DD}), as the reports take them. */
public final class DateParams {

  private DateParams() {}

  /**
   * The day {@code text} names.
   *
   * @param param the parameter's name, for the problem
   * @throws ApiProblem {@code 400 parameter_missing} when absent or blank, {@code 400
   *     parameter_invalid} when not {@code YYYY-MM-DD}
   */
  public static LocalDate required(String text, String param) {
    if (text == null || text.isBlank()) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, param, "'" + param + "' (YYYY-MM-DD) is required.");
    }
    try {
      return LocalDate.parse(text);
    } catch (DateTimeParseException e) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, param, "'" + param + "' must be YYYY-MM-DD.");
    }
  }
}
