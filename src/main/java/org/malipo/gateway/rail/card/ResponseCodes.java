package org.malipo.gateway.rail.card;

import java.util.Map;
import java.util.Set;

/**
 * What the acquirer's answers mean for a payment: ISO 8583 field 39 response codes in a 200
 * answer, and the error answers it documents as "not processed".
 *
 * <p>Sources: {@code shared/reference/rails.md} §7 for the response codes (codes 00-96 agree
 * across five or more public code tables; scheme extras such as {@code N7} and {@code 1A} are less
 * certain); {@code docs/rails/sandbox-acquirer.md} ("Errors") for the error answers. Anything not
 * listed here is {@link Disposition#UNKNOWN} or not "not processed": an answer we do not understand
 * is never taken as a success, a final decline or proof that nothing was charged.
 */
final class ResponseCodes {

  /** What a response code means for the attempt. */
  enum Disposition {
    /** Authorized. */
    APPROVED,
    /** Refused by the issuer or acquirer; nothing charged; final. */
    DECLINED,
    /** The acquirer did not process the request (switch down, malfunction, our format error). */
    NOT_PROCESSED,
    /** Something may have been authorized that we cannot represent: reconcile. */
    UNKNOWN
  }

  static final String CARD_DECLINED = "card_declined";
  static final String INSUFFICIENT_FUNDS = "insufficient_funds";
  static final String EXPIRED_CARD = "expired_card";

  private static final Set<String> APPROVED = Set.of("00");

  /**
   * Refusals. 41/43 (lost, stolen) and 04/07 (pick up) are told to the customer as a plain
   * decline on purpose.
   */
  private static final Set<String> DECLINED = Set.of(
      "01", "02", "04", "05", "07", "14", "15", "41", "43", "51", "54", "55", "57", "59", "61", "62", "63",
      "65", "75", "78", "82", "N7", "1A", "R0", "R1");

  /**
   * Not processed: 03 invalid merchant, 06 error, 12 invalid transaction, 13 invalid amount,
   * 19 re-enter, 30 format error, 58 not permitted to terminal, 91 issuer or switch inoperative,
   * 92 routing destination not found, 96 system malfunction.
   */
  private static final Set<String> NOT_PROCESSED = Set.of("03", "06", "12", "13", "19", "30", "58", "91", "92", "96");

  /*
   * Deliberately UNKNOWN although listed in §7: 08/10/11 are approval variants (10 is a partial
   * approval, an amount we did not ask for), 68 "response received too late" and 94 "duplicate
   * transmission" say an original may exist, 76/77 concern reversals.
   */

  /**
   * The acquirer's documented "not processed" error answers: HTTP status → the {@code error} names
   * of its JSON body ({@code {"error": …, "response_code": …}}) that mean nothing was authorized
   * or refunded. Not here, so never proof of "not charged": 409 and 422 (a request with this key
   * exists), any status with another body (a proxy's 502 or 503 with an HTML or empty body, a 500
   * whose body cannot be read) and 504.
   */
  private static final Map<Integer, Set<String>> NOT_PROCESSED_ERRORS = Map.of(
      400, Set.of("format_error", "invalid_amount", "idempotency_key_missing"),
      404, Set.of("unknown_authorization"),
      413, Set.of("request_too_large"),
      500, Set.of("system_malfunction"),
      503, Set.of("service_unavailable"));

  private static final Map<String, String> FAILURE_CODES = Map.of("51", INSUFFICIENT_FUNDS, "54", EXPIRED_CARD);

  private static final Map<String, String> CUSTOMER_MESSAGES = Map.of(
      CARD_DECLINED, "The card was declined.",
      INSUFFICIENT_FUNDS, "The card has insufficient funds.",
      EXPIRED_CARD, "The card has expired.");

  private ResponseCodes() {}

  /** The disposition of {@code code}; null or unlisted is {@link Disposition#UNKNOWN}. */
  static Disposition disposition(String code) {
    if (code == null) {
      return Disposition.UNKNOWN;
    }
    if (APPROVED.contains(code)) {
      return Disposition.APPROVED;
    }
    if (DECLINED.contains(code)) {
      return Disposition.DECLINED;
    }
    if (NOT_PROCESSED.contains(code)) {
      return Disposition.NOT_PROCESSED;
    }
    return Disposition.UNKNOWN;
  }

  /**
   * Whether an error answer is one the acquirer documents as "not processed": one of the errors
   * above, or a 401 with any body (documented as {@code invalid_api_key}; a caller that is not
   * authenticated has nothing processed, whoever answered).
   *
   * @param status the HTTP status
   * @param error the {@code error} field of its JSON body, empty when there is none or the body is
   *     not JSON
   */
  static boolean notProcessedError(int status, String error) {
    return status == 401 || NOT_PROCESSED_ERRORS.getOrDefault(status, Set.of()).contains(error);
  }

  /** Our stable failure code for a declining {@code code}: {@code card_declined} unless more is known. */
  static String failureCode(String code) {
    return FAILURE_CODES.getOrDefault(code, CARD_DECLINED);
  }

  /** A customer-safe explanation of {@code failureCode}. */
  static String customerMessage(String failureCode) {
    return CUSTOMER_MESSAGES.getOrDefault(failureCode, CUSTOMER_MESSAGES.get(CARD_DECLINED));
  }
}
