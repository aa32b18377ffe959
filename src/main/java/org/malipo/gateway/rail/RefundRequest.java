package org.malipo.gateway.rail;

import org.malipo.gateway.common.Money;

/**
 * One refund to send to the rail that captured the payment.
 *
 * @param refundId our refund id ({@code ref_…}); sent as the rail's idempotency reference
 * @param paymentId our payment id
 * @param railReference the rail's id of the captured authorization (M-Pesa CheckoutRequestID,
 *     MoMo X-Reference-Id)
 * @param amount amount to give back, minor units, at most what is left of the capture
 * @param railReceipt the rail's receipt of the capture when it gave one apart from its reference
 *     (M-Pesa's {@code MpesaReceiptNumber}, which a reversal names), or null
 */
public record RefundRequest(String refundId, String paymentId, String railReference, Money amount, String railReceipt) {

  /** A refund of a capture whose rail gave no separate receipt. */
  public RefundRequest(String refundId, String paymentId, String railReference, Money amount) {
    this(refundId, paymentId, railReference, amount, null);
  }
}
