package org.malipo.gateway.api;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

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

  /**
   * The UTC days {@code from} to {@code to}, both included.
   *
   * @param first the first day
   * @param last the last day, on or after {@code first}
   */
  public record DayRange(LocalDate first, LocalDate last) {

    /** The first day's start (inclusive). */
    public Instant start() {
      return first.atStartOfDay().toInstant(ZoneOffset.UTC);
    }

    /** The day after the last one's start (exclusive). */
    public Instant end() {
      return last.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    }
  }

  /**
   * The days between the query parameters {@code from} and {@code to}, both included.
   *
   * @param maxDays at most this many days in all
   * @throws ApiProblem as {@link #required} for either, and {@code 400 parameter_invalid}
   *     ({@code param: to}) when {@code to} is before {@code from} or the range is longer
   */
  public static DayRange range(String from, String to, int maxDays) {
    LocalDate first = required(from, "from");
    LocalDate last = required(to, "to");
    if (last.isBefore(first) || ChronoUnit.DAYS.between(first, last) >= maxDays) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "to",
          "'to' must be on or after 'from', at most " + maxDays + " days in all.");
    }
    return new DayRange(first, last);
  }
}
