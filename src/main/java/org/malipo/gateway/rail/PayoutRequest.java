package org.malipo.gateway.rail;

import org.malipo.gateway.common.Money;

/**
 * One payout to send to a mobile-money rail.
 *
 * @param payoutId our payout id ({@code po_…}); the rail's originator reference and idempotency
 *     key (M-Pesa {@code OriginatorConversationID}, MoMo {@code X-Reference-Id} derived from it)
 * @param amount minor units; the adapter converts to the rail's format at its edge
 * @param msisdn the recipient, E.164 with {@code +}
 * @param remarks a short free text for the recipient's statement, or null
 */
public record PayoutRequest(String payoutId, Money amount, String msisdn, String remarks) {

  /** The recipient's digits without {@code +}, as both rails want them. */
  public String msisdnDigits() {
    return msisdn.startsWith("+") ? msisdn.substring(1) : msisdn;
  }
}
