package org.malipo.gateway.api;

/** The {@code limit} query parameter of every list route: 1-100, default 10. */
public final class PageSizes {

  /** Rows a page shows when {@code limit} is absent. */
  public static final int DEFAULT = 10;
  /** The largest {@code limit} accepted. */
  public static final int MAX = 100;

  private PageSizes() {}

  /**
   * Parses {@code limit}.
   *
   * @param limit the raw query parameter, may be null
   * @return the page size, 1 to {@value #MAX}
   * @throws ApiProblem {@code 400 parameter_invalid} with {@code param: limit}
   */
  public static int parse(String limit) {
    if (limit == null) {
      return DEFAULT;
    }
    try {
      int value = Integer.parseInt(limit);
      if (value >= 1 && value <= MAX) {
        return value;
      }
    } catch (NumberFormatException e) {
      // falls through to the problem below
    }
    throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "limit", "limit must be an integer from 1 to " + MAX + ".");
  }
}
