package org.malipo.gateway.refund;

/**
 * The JSON body of {@code POST /v1/payments/{id}/refunds}.
 *
 * @param amount minor units; absent means everything not yet refunded
 * @param reason free text for the merchant's records, at most 255 characters
 */
record CreateRefundRequest(Long amount, String reason) {}
