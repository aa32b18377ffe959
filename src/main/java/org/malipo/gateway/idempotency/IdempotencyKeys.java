package org.malipo.gateway.idempotency;

import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;

/** Rules for the {@code Idempotency-Key} request header (DESIGN.md §5, Stripe's semantics). */
public final class IdempotencyKeys {

  /** The request header. */
  public static final String HEADER = "Idempotency-Key";
  /** Response header set on a replayed answer. */
  public static final String REPLAYED_HEADER = "Idempotent-Replayed";
  /** Longest key accepted, in characters. */
  public static final int MAX_LENGTH = 255;

  private IdempotencyKeys() {}

  /**
   * Checks the header value.
   *
   * @param key the header value, may be null
   * @return the key unchanged
   * @throws ApiProblem {@code 400 idempotency_key_missing} when absent or empty,
   *     {@code 400 idempotency_key_invalid} when longer than 255 or not printable ASCII
   */
  public static String require(String key) {
    if (key == null || key.isEmpty()) {
      throw ApiProblem.of(ProblemCode.IDEMPOTENCY_KEY_MISSING,
          "Send an Idempotency-Key header (1-255 printable ASCII characters) so retries are safe.");
    }
    if (key.length() > MAX_LENGTH) {
      throw ApiProblem.of(ProblemCode.IDEMPOTENCY_KEY_INVALID, "Idempotency-Key is longer than 255 characters.");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        throw ApiProblem.of(ProblemCode.IDEMPOTENCY_KEY_INVALID,
            "Idempotency-Key must be printable ASCII characters only.");
      }
    }
    return key;
  }
}
