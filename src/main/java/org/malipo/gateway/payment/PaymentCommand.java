package org.malipo.gateway.payment;

import java.util.Map;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.CardData;

/**
 * A validated request to create a card payment.
 *
 * @param merchantId the merchant from the access token
 * @param idempotencyKey the {@code Idempotency-Key} header, 1-255 printable ASCII characters
 * @param requestFingerprint keyed hash of method, path and canonical body (never the raw body)
 * @param amount the amount in minor units
 * @param card the card, held in memory only
 * @param maskedCard what may be stored and shown of the card
 * @param reference the merchant's reference, may be null
 * @param description may be null
 * @param metadata never null, possibly empty
 */
record PaymentCommand(
    String merchantId,
    String idempotencyKey,
    String requestFingerprint,
    Money amount,
    CardData card,
    MaskedCard maskedCard,
    String reference,
    String description,
    Map<String, String> metadata) {

  @Override
  public String toString() {
    return "PaymentCommand[" + merchantId + ", " + amount + ", " + maskedCard + "]";
  }
}
