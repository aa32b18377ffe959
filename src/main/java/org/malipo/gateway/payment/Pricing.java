package org.malipo.gateway.payment;

import java.util.Map;
import org.malipo.gateway.common.Money;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * What a merchant pays per succeeded payment ({@code malipo.pricing.*}), by payment method: card
 * acquiring and mobile-money collection cost differently. A fee is a share of the amount in basis
 * points, rounded half-up to the minor unit ({@link Money#basisPoints}); failed and pending
 * payments pay nothing.
 *
 * @param cardFeeBasisPoints card payments, 0-10,000 (default 290 = 2.90 %)
 * @param mobileMoneyFeeBasisPoints mobile-money payments, 0-10,000 (default 150 = 1.50 %)
 * @param merchants per-merchant overrides by merchant id ({@code malipo.pricing.merchants."[mer_…]".*});
 *     a component left out keeps the default
 */
@ConfigurationProperties("malipo.pricing")
record Pricing(Integer cardFeeBasisPoints, Integer mobileMoneyFeeBasisPoints, Map<String, Override> merchants)
    implements FeeSchedule {

  Pricing {
    cardFeeBasisPoints = cardFeeBasisPoints == null ? 290 : cardFeeBasisPoints;
    mobileMoneyFeeBasisPoints = mobileMoneyFeeBasisPoints == null ? 150 : mobileMoneyFeeBasisPoints;
    merchants = merchants == null ? Map.of() : Map.copyOf(merchants);
  }

  /**
   * One merchant's rates; null components fall back to the defaults.
   *
   * @param cardFeeBasisPoints card payments
   * @param mobileMoneyFeeBasisPoints mobile-money payments
   */
  record Override(Integer cardFeeBasisPoints, Integer mobileMoneyFeeBasisPoints) {}

  /**
   * The fee of {@code payment} when it succeeds, in minor units of its currency.
   *
   * @throws ArithmeticException on overflow (amounts are bounded far below it)
   */
  @java.lang.Override
  public Money feeFor(Payment payment) {
    Override merchant = merchants.get(payment.merchantId());
    boolean card = payment.card() != null;
    Integer rate = merchant == null ? null : card ? merchant.cardFeeBasisPoints() : merchant.mobileMoneyFeeBasisPoints();
    if (rate == null) {
      rate = card ? cardFeeBasisPoints : mobileMoneyFeeBasisPoints;
    }
    return payment.amount().basisPoints(rate);
  }
}
