package org.malipo.gateway.fraud;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Fraud rule thresholds ({@code malipo.fraud.*}).
 *
 * @param merchantAmountLimitMinor per-currency amount above which a payment is blocked, minor units
 * @param defaultMerchantAmountLimitMinor limit for currencies not listed, minor units
 * @param cardPaymentsPerMinuteMax payments per card fingerprint per minute before the velocity rule fires
 * @param cardAmountPerHourMaxMinor amount per card fingerprint per hour (minor units, any currency)
 *     before the amount-velocity rule fires
 * @param blockedBins BINs (first six digits) that are always blocked
 * @param redisTimeout how long the velocity look-up may take before it is skipped (degraded)
 */
@ConfigurationProperties("malipo.fraud")
public record FraudProperties(
    Map<String, Long> merchantAmountLimitMinor,
    Long defaultMerchantAmountLimitMinor,
    Integer cardPaymentsPerMinuteMax,
    Long cardAmountPerHourMaxMinor,
    Set<String> blockedBins,
    Duration redisTimeout) {

  public FraudProperties {
    merchantAmountLimitMinor = merchantAmountLimitMinor == null ? Map.of() : Map.copyOf(merchantAmountLimitMinor);
    defaultMerchantAmountLimitMinor = defaultMerchantAmountLimitMinor == null ? 1_000_000_000L : defaultMerchantAmountLimitMinor;
    cardPaymentsPerMinuteMax = cardPaymentsPerMinuteMax == null ? 20 : cardPaymentsPerMinuteMax;
    cardAmountPerHourMaxMinor = cardAmountPerHourMaxMinor == null ? 5_000_000_000L : cardAmountPerHourMaxMinor;
    blockedBins = blockedBins == null ? Set.of() : Set.copyOf(blockedBins);
    redisTimeout = redisTimeout == null ? Duration.ofMillis(250) : redisTimeout;
  }
}
