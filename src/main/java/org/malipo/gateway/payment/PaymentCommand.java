package org.malipo.gateway.payment;

import java.util.Map;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.PaymentInstrument;

/**
 * A validated request to create a payment by card or mobile money.
 *
 * @param merchantId the merchant from the access token
 * @param idempotencyKey the {@code Idempotency-Key} header, 1-255 printable ASCII characters
 * @param requestFingerprint keyed hash of method, path and canonical body (never the raw body)
 * @param amount the amount in minor units
 * @param instrument the card (held in memory only) or the mobile-money payer
 * @param maskedCard what may be stored and shown of the card; null for mobile money
 * @param wallet the mobile-money payer as stored; null for cards
 * @param reference the merchant's reference, may be null
 * @param description may be null
 * @param metadata never null, possibly empty
 * @param captureMethod automatic, or manual (cards only)
 * @param livemode the credential's mode (docs/adr/0078-test-and-live-mode.md)
 * @param returnUrl the merchant's {@code return_url} after 3-D Secure, or null
 */
record PaymentCommand(
    String merchantId,
    String idempotencyKey,
    String requestFingerprint,
    Money amount,
    PaymentInstrument instrument,
    MaskedCard maskedCard,
    MobileWallet wallet,
    String reference,
    String description,
    Map<String, String> metadata,
    Payment.CaptureMethod captureMethod,
    boolean livemode,
    String returnUrl) {

  PaymentCommand(String merchantId, String idempotencyKey, String requestFingerprint, Money amount,
      PaymentInstrument instrument, MaskedCard maskedCard, MobileWallet wallet, String reference, String description,
      Map<String, String> metadata, Payment.CaptureMethod captureMethod, boolean livemode) {
    this(merchantId, idempotencyKey, requestFingerprint, amount, instrument, maskedCard, wallet, reference, description,
        metadata, captureMethod, livemode, null);
  }

  PaymentCommand(String merchantId, String idempotencyKey, String requestFingerprint, Money amount,
      PaymentInstrument instrument, MaskedCard maskedCard, MobileWallet wallet, String reference, String description,
      Map<String, String> metadata) {
    this(merchantId, idempotencyKey, requestFingerprint, amount, instrument, maskedCard, wallet, reference, description,
        metadata, Payment.CaptureMethod.AUTOMATIC, false);
  }

  PaymentCommand(String merchantId, String idempotencyKey, String requestFingerprint, Money amount,
      PaymentInstrument instrument, MaskedCard maskedCard, MobileWallet wallet, String reference, String description,
      Map<String, String> metadata, Payment.CaptureMethod captureMethod) {
    this(merchantId, idempotencyKey, requestFingerprint, amount, instrument, maskedCard, wallet, reference, description,
        metadata, captureMethod, false);
  }

  /** This command in the credential's mode. */
  PaymentCommand inMode(boolean live) {
    return new PaymentCommand(merchantId, idempotencyKey, requestFingerprint, amount, instrument, maskedCard, wallet,
        reference, description, metadata, captureMethod, live, returnUrl);
  }

  /** This command with the merchant's {@code return_url} (3-D Secure). */
  PaymentCommand withReturnUrl(String url) {
    return new PaymentCommand(merchantId, idempotencyKey, requestFingerprint, amount, instrument, maskedCard, wallet,
        reference, description, metadata, captureMethod, livemode, url);
  }

  @Override
  public String toString() {
    return "PaymentCommand[" + merchantId + ", " + amount + ", " + (maskedCard != null ? maskedCard : MobileNumbers.mask(wallet.msisdn())) + "]";
  }
}
