package org.malipo.gateway.payout;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Payouts ({@code malipo.payouts.*}): per-rail limits and fees, and the reconciler's timing.
 *
 * @param mpesa M-Pesa B2C limits and fee (amounts in KES minor units)
 * @param mtnMomo MTN MoMo Disbursements limits and fee (minor units of the payout's currency)
 * @param answerTimeout longest wait for the rail's answer to a payout request; after it the payout
 *     stays {@code pending} and the status query settles it; default 10 s
 * @param firstCheck time after a pending payout's last change before its first status query;
 *     default 60 s
 * @param checkInterval first interval between status queries, doubling (at most 64 times it);
 *     default 30 s
 * @param notFoundAfter how old a payout must be before a rail that does not know it makes it
 *     {@code failed} ({@code provider_unavailable}); longer than any rail's delivery delay;
 *     default 10 min
 * @param sweepInterval how often due pending payouts are looked for; default 5 s
 * @param batchSize pending payouts claimed per pass; default 50
 * @param concurrency status queries at once; default 4
 * @param maxInFlight payouts being created at once on one instance (reserved, sent, answer
 *     recorded); above it {@code 503 overloaded} before anything is recorded; default 500
 */
@ConfigurationProperties("malipo.payouts")
record PayoutProperties(Limits mpesa, Limits mtnMomo, Duration answerTimeout, Duration firstCheck,
    Duration checkInterval, Duration notFoundAfter, Duration sweepInterval, Integer batchSize, Integer concurrency,
    Integer maxInFlight) {

  PayoutProperties {
    mpesa = mpesa == null ? new Limits(1_000L, 25_000_000L, 100_000_000L, 100, 0L) : mpesa.orDefaults(
        new Limits(1_000L, 25_000_000L, 100_000_000L, 100, 0L));
    mtnMomo = mtnMomo == null ? new Limits(100L, 5_000_000L, 20_000_000L, 100, 0L) : mtnMomo.orDefaults(
        new Limits(100L, 5_000_000L, 20_000_000L, 100, 0L));
    answerTimeout = answerTimeout == null ? Duration.ofSeconds(10) : answerTimeout;
    firstCheck = firstCheck == null ? Duration.ofSeconds(60) : firstCheck;
    checkInterval = checkInterval == null ? Duration.ofSeconds(30) : checkInterval;
    notFoundAfter = notFoundAfter == null ? Duration.ofMinutes(10) : notFoundAfter;
    sweepInterval = sweepInterval == null ? Duration.ofSeconds(5) : sweepInterval;
    batchSize = batchSize == null ? 50 : batchSize;
    concurrency = concurrency == null ? 4 : concurrency;
    maxInFlight = maxInFlight == null ? 500 : maxInFlight;
  }

  /**
   * One rail's limits and fee.
   *
   * @param minAmountMinor smallest payout, minor units ({@code 400 amount_invalid} below)
   * @param maxAmountMinor largest payout, minor units ({@code 400 amount_invalid} above)
   * @param dailyMaxMinor most a merchant may pay out on this rail per currency and UTC day, pending
   *     and succeeded payouts counted ({@code 422 payout_limit_exceeded} above)
   * @param feeBasisPoints the merchant's fee in basis points of the amount, rounded half-up
   * @param feeFixedMinor a fixed fee per payout, minor units, added
   */
  record Limits(Long minAmountMinor, Long maxAmountMinor, Long dailyMaxMinor, Integer feeBasisPoints,
      Long feeFixedMinor) {

    Limits orDefaults(Limits defaults) {
      return new Limits(minAmountMinor == null ? defaults.minAmountMinor() : minAmountMinor,
          maxAmountMinor == null ? defaults.maxAmountMinor() : maxAmountMinor,
          dailyMaxMinor == null ? defaults.dailyMaxMinor() : dailyMaxMinor,
          feeBasisPoints == null ? defaults.feeBasisPoints() : feeBasisPoints,
          feeFixedMinor == null ? defaults.feeFixedMinor() : feeFixedMinor);
    }
  }
}
