package org.malipo.gateway.rail;

/**
 * What a rail said about one refund: given back, refused, surely not sent (safe to fail the
 * refund), or unknown (must be reconciled, never sent again blindly).
 */
public sealed interface RefundOutcome {

  /** The rail that answered. */
  String rail();

  /** The money went back to the customer; {@code railReference} is the rail's refund id. */
  record Refunded(String rail, String railReference) implements RefundOutcome {}

  /** The rail refused; nothing moved. {@code failureCode} is our stable code, e.g. {@code refund_declined}. */
  record Refused(String rail, String failureCode, String message) implements RefundOutcome {}

  /** The request surely did not reach the rail (or the rail cannot refund); nothing moved. */
  record NotAttempted(String rail, String reason) implements RefundOutcome {}

  /** The rail may have acted; the refund stays pending until reconciled. */
  record Unknown(String rail, String reason) implements RefundOutcome {}
}
