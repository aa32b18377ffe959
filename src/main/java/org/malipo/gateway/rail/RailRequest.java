package org.malipo.gateway.rail;

import org.malipo.gateway.common.Money;

/**
 * One authorization to send to a rail.
 *
 * @param paymentId our payment id ({@code pay_…})
 * @param attemptId our attempt id ({@code att_…}); sent to the rail as its idempotency reference,
 *     so one attempt can never authorize twice
 * @param merchantId the merchant being paid
 * @param amount amount in minor units; a rail mapper converts it to the rail's own format
 * @param card the card to charge
 * @param reference the merchant's own reference, may be null
 */
public record RailRequest(
    String paymentId, String attemptId, String merchantId, Money amount, CardData card, String reference) {}
