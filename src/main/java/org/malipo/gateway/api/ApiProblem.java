package org.malipo.gateway.api;

import java.util.Map;
import java.util.Objects;

/**
 * An error that ends a request with an RFC 9457 {@code application/problem+json} answer.
 *
 * <p>Raised anywhere on the request path as an error signal; {@link ProblemExceptionHandler}
 * renders it once. The {@code detail} must never carry card data or secrets.
 */
public final class ApiProblem extends RuntimeException {

  private final ProblemCode code;
  private final String param;
  private final Map<String, String> headers;
  private final Map<String, String> extensions;

  private ApiProblem(ProblemCode code, String detail, String param, Map<String, String> headers,
      Map<String, String> extensions) {
    super(detail, null, false, false);
    this.code = Objects.requireNonNull(code, "code");
    this.param = param;
    this.headers = Map.copyOf(headers);
    this.extensions = Map.copyOf(extensions);
  }

  /**
   * A problem about the request as a whole.
   *
   * @param code the stable code
   * @param detail a human-readable explanation of this occurrence
   */
  public static ApiProblem of(ProblemCode code, String detail) {
    return new ApiProblem(code, detail, null, Map.of(), Map.of());
  }

  /**
   * A problem about one request parameter.
   *
   * @param code the stable code
   * @param param the parameter at fault, dotted for nested fields ({@code payment_method.number})
   * @param detail a human-readable explanation of this occurrence
   */
  public static ApiProblem param(ProblemCode code, String param, String detail) {
    return new ApiProblem(code, detail, param, Map.of(), Map.of());
  }

  /**
   * This problem with extra response headers (for example {@code Retry-After}).
   *
   * @param extraHeaders header names and values added to the answer
   */
  public ApiProblem withHeaders(Map<String, String> extraHeaders) {
    return new ApiProblem(code, getMessage(), param, extraHeaders, extensions);
  }

  /**
   * This problem with extension members (RFC 9457 §3.2), for example {@code payment_id} so a
   * client learns where its money is after a failure that came after the payment was recorded.
   *
   * @param members snake_case names and string values, added to the problem's JSON object
   */
  public ApiProblem withExtensions(Map<String, String> members) {
    return new ApiProblem(code, getMessage(), param, headers, members);
  }

  /** Extension members of the answer; empty when none. */
  public Map<String, String> extensions() {
    return extensions;
  }

  /** The stable code. */
  public ProblemCode code() {
    return code;
  }

  /** The parameter at fault, or {@code null}. */
  public String param() {
    return param;
  }

  /** Extra headers of the answer; empty when none. */
  public Map<String, String> headers() {
    return headers;
  }
}
