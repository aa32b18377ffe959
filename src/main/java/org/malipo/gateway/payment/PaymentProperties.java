package org.malipo.gateway.payment;

import java.util.Map;
import org.malipo.gateway.common.CurrencyUnit;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Limits and pricing of payments ({@code malipo.payments.*}).
 *
 * @param maxAmountMinor per-currency maximum of one payment in minor units; currencies not listed
 *     use {@code defaultMaxAmountMinor}
 * @param defaultMaxAmountMinor fallback maximum in minor units
 * @param cardFeeBasisPoints the merchant's card fee in basis points of the amount (290 = 2.90 %)
 */
@ConfigurationProperties("malipo.payments")
record PaymentProperties(Map<String, Long> maxAmountMinor, Long defaultMaxAmountMinor, Integer cardFeeBasisPoints) {

  PaymentProperties {
    maxAmountMinor = maxAmountMinor == null ? Map.of() : Map.copyOf(maxAmountMinor);
    defaultMaxAmountMinor = defaultMaxAmountMinor == null ? 10_000_000_000L : defaultMaxAmountMinor;
    cardFeeBasisPoints = cardFeeBasisPoints == null ? 290 : cardFeeBasisPoints;
  }

  /** The largest amount one payment may have in {@code currency}, in minor units. */
  long maxAmountMinor(CurrencyUnit currency) {
    return maxAmountMinor.getOrDefault(currency.code(), defaultMaxAmountMinor);
  }
}
