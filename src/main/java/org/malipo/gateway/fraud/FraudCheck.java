package org.malipo.gateway.fraud;

import org.malipo.gateway.common.Money;

/**
 * What the fraud rules look at.
 *
 * @param merchantId the merchant being paid
 * @param amount the payment amount in minor units
 * @param bin first six digits of the card
 * @param cardFingerprint keyed hash of the card number
 */
public record FraudCheck(String merchantId, Money amount, String bin, String cardFingerprint) {}
