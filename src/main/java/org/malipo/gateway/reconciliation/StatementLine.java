package org.malipo.gateway.reconciliation;

import java.time.Instant;

/**
 * One transaction line of a rail statement, as read.
 *
 * @param line the line's number in the file, the header being line 1
 * @param railReference the rail's id of the transaction as the gateway stores it on the attempt
 *     (CheckoutRequestID, X-Reference-Id, authorization id), or null when the format has none
 * @param receipt the rail's receipt or approval code, or null
 * @param amountMinor the gross amount, minor units, signed: positive for money in (a collection),
 *     negative for money out (a payout or refund the rail paid; M-Pesa's {@code Withdrawn}, a
 *     negative {@code amount} in Malipo's CSV); never 0
 * @param feeMinor what the rail kept of it, minor units, or null when the statement does not say
 * @param currency ISO 4217 code
 * @param completedAt when the rail completed it
 */
public record StatementLine(int line, String railReference, String receipt, long amountMinor, Long feeMinor,
    String currency, Instant completedAt) {

  /** True for money out (a payout or refund the rail paid). */
  public boolean moneyOut() {
    return amountMinor < 0;
  }
}
