package org.malipo.gateway.fraud;

import org.malipo.gateway.common.Money;

/**
 * What the fraud rules look at.
 *
 * @param merchantId the merchant being paid
 * @param amount the payment amount in minor units
 * @param bin first six digits of the card
 * @param cardFingerprint keyed hash of the card number
 * @param idempotencyKey the request's {@code Idempotency-Key}: a payment is counted once per key, so
 *     a retried request does not count twice in the velocity windows
 */
public record FraudCheck(String merchantId, Money amount, String bin, String cardFingerprint, String idempotencyKey) {}
