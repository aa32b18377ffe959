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
 * @param instrument what to charge: a {@link CardData} or a {@link MobileMoneyPayer}
 * @param reference the merchant's own reference, may be null
 * @param captureLater true for manual capture: authorize and hold, capture later
 *     ({@link RailAdapter#operate})
 */
public record RailRequest(
    String paymentId, String attemptId, String merchantId, Money amount, PaymentInstrument instrument,
    String reference, boolean captureLater) {

  /** An authorization captured at once. */
  public RailRequest(String paymentId, String attemptId, String merchantId, Money amount, PaymentInstrument instrument,
      String reference) {
    this(paymentId, attemptId, merchantId, amount, instrument, reference, false);
  }

  /**
   * The card, for card rails.
   *
   * @throws IllegalStateException when the instrument is not a card
   */
  public CardData card() {
    if (instrument instanceof CardData card) {
      return card;
    }
    throw new IllegalStateException("attempt " + attemptId + " is not a card payment");
  }

  /**
   * The wallet, for mobile-money rails.
   *
   * @throws IllegalStateException when the instrument is not a mobile-money payer
   */
  public MobileMoneyPayer payer() {
    if (instrument instanceof MobileMoneyPayer payer) {
      return payer;
    }
    throw new IllegalStateException("attempt " + attemptId + " is not a mobile-money payment");
  }
}
