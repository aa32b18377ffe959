package org.malipo.gateway.rail;

import org.malipo.gateway.common.Money;

/**
 * One refund to send to the rail that captured the payment.
 *
 * @param refundId our refund id ({@code ref_…}); sent as the rail's idempotency reference
 * @param paymentId our payment id
 * @param railReference the rail's id of the captured authorization
 * @param amount amount to give back, minor units, at most what is left of the capture
 */
public record RefundRequest(String refundId, String paymentId, String railReference, Money amount) {}
