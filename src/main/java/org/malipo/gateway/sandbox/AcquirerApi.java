package org.malipo.gateway.sandbox;

import org.malipo.gateway.rail.CardData;

/**
 * The JSON bodies of the sandbox acquirer's authorization API, snake_case on the wire
 * ({@code docs/rails/sandbox-acquirer.md}).
 */
final class AcquirerApi {

  private AcquirerApi() {}

  /**
   * {@code POST /{acquirer}/v1/authorizations} body.
   *
   * @param merchantReference the caller's reference of the attempt
   * @param amount ISO 8583 field 4, minor units, positive integer
   * @param currency ISO 8583 field 49, ISO 4217 numeric, three digits
   * @param card the card
   * @param capture {@code false}: authorize and hold only, for a later completion or reversal;
   *     absent or {@code true}: captured at once
   */
  record AuthorizationRequest(String merchantReference, long amount, String currency, Card card, Boolean capture) {

    @Override
    public String toString() {
      return "AuthorizationRequest[merchantReference=" + merchantReference + ", amount=" + amount + ", currency="
          + currency + ", card=" + card + "]";
    }
  }

  /**
   * The card block; its {@link #toString()} shows BIN and last 4 only.
   *
   * @param number PAN, 12-19 digits
   * @param expMonth 1-12
   * @param expYear four digits
   * @param cvc 3-4 digits
   */
  record Card(String number, int expMonth, int expYear, String cvc) {

    @Override
    public String toString() {
      // Fewer than 12 digits would show most of the number through BIN and last 4.
      return number == null || number.length() < 12 ? "Card[…]" : new CardData(number, expMonth, expYear, cvc).toString();
    }
  }

  /**
   * A 200 answer: an approval ({@code "00"}, with an approval code) or a decline (without one).
   *
   * @param authorizationId the sandbox's id, {@code auth_…}
   * @param responseCode ISO 8583 field 39
   * @param approvalCode ISO 8583 field 38, approvals only (omitted when null)
   * @param stan ISO 8583 field 11, six digits
   * @param rrn ISO 8583 field 37, twelve digits
   */
  record AuthorizationResponse(
      String authorizationId, String responseCode, String approvalCode, String stan, String rrn) {}

  /**
   * A 4xx or 5xx answer.
   *
   * @param error stable snake_case error name
   * @param responseCode the closest ISO 8583 field 39 code, omitted when none fits
   */
  record ErrorResponse(String error, String responseCode) {}

  /**
   * {@code POST /{acquirer}/v1/refunds} body.
   *
   * @param authorizationId the approved authorization to refund
   * @param amount minor units, at most what is left of the authorization
   * @param currency ISO 4217 numeric, as in the authorization
   */
  record RefundRequest(String authorizationId, long amount, String currency) {}

  /**
   * A 200 answer to a refund: {@code "00"} with a refund id, or {@code "05"} refused.
   *
   * @param refundId the sandbox's id, {@code rfd_…}, approvals only
   * @param responseCode ISO 8583 field 39
   */
  record RefundResponse(String refundId, String responseCode) {}

  /**
   * {@code POST /{acquirer}/v1/authorizations/{authorization_id}/completions} and {@code …/reversals}
   * body.
   *
   * @param amount a completion's amount (at most the held amount; the rest is released), minor
   *     units; a reversal's is the held amount
   * @param currency ISO 4217 numeric, as in the authorization
   */
  record OperationRequest(long amount, String currency) {}

  /**
   * A 200 answer to a completion or reversal: {@code "00"} with its id, or a refusal such as
   * {@code "12"} (invalid transaction: not held any more).
   *
   * @param completionId {@code cmp_…}, completions only
   * @param reversalId {@code rev_…}, reversals only
   * @param responseCode ISO 8583 field 39
   */
  record OperationResponse(String completionId, String reversalId, String responseCode) {}
}
