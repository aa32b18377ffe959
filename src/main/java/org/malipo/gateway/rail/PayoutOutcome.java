package org.malipo.gateway.rail;

/**
 * What a rail said about one payout (docs/adr/0069-payouts-reserved-first.md): paid, failed,
 * accepted with the result still to come, surely never sent, unknown, or unknown to the rail.
 * Like {@link RailOutcome}, an acknowledgement ("accepted for processing") is never a success.
 */
public sealed interface PayoutOutcome {

  /** The rail that answered. */
  String rail();

  /**
   * The money reached the wallet.
   *
   * @param railReference the rail's id of the request (M-Pesa {@code ConversationID}, MoMo
   *     {@code X-Reference-Id}), or null when the report does not carry it
   * @param receipt the rail's transaction receipt (M-Pesa {@code TransactionID}, MoMo
   *     {@code financialTransactionId}), or null
   */
  record Paid(String rail, String railReference, String receipt) implements PayoutOutcome {}

  /**
   * The rail refused or reversed the payout; nothing left our float.
   *
   * @param failureCode our stable code, e.g. {@code recipient_invalid}
   * @param railCode the rail's own code, e.g. {@code 2040}
   */
  record Failed(String rail, String failureCode, String railCode, String message) implements PayoutOutcome {}

  /** Accepted for processing: the result comes later (a callback, or a status query). */
  record Pending(String rail, String railReference) implements PayoutOutcome {}

  /** Surely never reached the rail (refused before processing, never sent): safe to fail and release. */
  record NotAttempted(String rail, String reason) implements PayoutOutcome {}

  /** The rail may have acted: only a status query or its result settles it; never sent again. */
  record Unknown(String rail, String reason) implements PayoutOutcome {}

  /**
   * The rail's status query does not know the payout: it never arrived, or has not arrived yet.
   * Final only once the payout is older than the configured window.
   */
  record NotFound(String rail, String reason) implements PayoutOutcome {}
}
