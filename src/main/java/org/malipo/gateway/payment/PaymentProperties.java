package org.malipo.gateway.payment;

import java.time.Duration;
import java.util.Map;
import org.malipo.gateway.common.CurrencyUnit;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Limits and pricing of payments ({@code malipo.payments.*}).
 *
 * @param maxAmountMinor per-currency maximum of one payment in minor units; currencies not listed
 *     use {@code defaultMaxAmountMinor}
 * @param defaultMaxAmountMinor fallback maximum in minor units
 * @param answerTimeout how long {@code POST /v1/payments} waits for its payment before answering
 *     with the payment as it stands (10 s); the payment runs on to a final status either way
 * @param groupCommit whether and how the outcomes of concurrent succeeded payments share one
 *     statement
 * @param authorizationTtl how long a manual-capture authorization is held before the reconciler
 *     voids it ({@code canceled}, {@code cancellation_reason: "expired"}); 7 days by default, more
 *     than 0 (docs/adr/0082-authorization-holds.md)
 */
@ConfigurationProperties("malipo.payments")
record PaymentProperties(Map<String, Long> maxAmountMinor, Long defaultMaxAmountMinor, Duration answerTimeout,
    GroupCommit groupCommit, Duration authorizationTtl) {

  PaymentProperties {
    maxAmountMinor = maxAmountMinor == null ? Map.of() : Map.copyOf(maxAmountMinor);
    defaultMaxAmountMinor = defaultMaxAmountMinor == null ? 10_000_000_000L : defaultMaxAmountMinor;
    answerTimeout = answerTimeout == null ? Duration.ofSeconds(10) : answerTimeout;
    groupCommit = groupCommit == null ? new GroupCommit(null, null, null, null, null) : groupCommit;
    authorizationTtl = authorizationTtl == null ? Duration.ofDays(7) : authorizationTtl;
    if (!authorizationTtl.isPositive()) {
      throw new IllegalArgumentException("malipo.payments.authorization-ttl must be more than 0");
    }
  }

  /**
   * Group commit of succeeded payments' outcomes ({@code malipo.payments.group-commit.*};
   * docs/adr/0061-ledger-group-commit.md).
   *
   * @param enabled on by default (since issue 25; ADR 0061): concurrent outcomes share a statement;
   *     off, each outcome is its own statement
   * @param maxWait how long the first outcome of a batch waits for companions (100 µs; more than 0, at
   *     most 10 ms): batches form mostly while statements are in flight, so a lone outcome hardly
   *     waits (docs/performance-history.md, "Fifth pass" §5: 2 ms cost the gateway CPU and latency)
   * @param maxBatch outcomes per statement (16, at most 64): each size is one more statement that
   *     every connection prepares, so the sizes are bounded
   * @param maxInFlight group statements running at once (2): batches of one merchant then wait for
   *     each other only at its balance row, which each takes last
   * @param maxQueued outcomes waiting for a batch; beyond it an outcome is written alone, never
   *     refused (2,000)
   */
  record GroupCommit(Boolean enabled, Duration maxWait, Integer maxBatch, Integer maxInFlight, Integer maxQueued) {
    GroupCommit {
      enabled = enabled == null || enabled; // on by default since issue 25 (ADR 0061)
      maxWait = maxWait == null ? Duration.ofNanos(100_000) : maxWait;
      maxBatch = maxBatch == null ? 16 : maxBatch;
      maxInFlight = maxInFlight == null ? 2 : maxInFlight;
      maxQueued = maxQueued == null ? 2_000 : maxQueued;
      if (!maxWait.isPositive() || maxWait.compareTo(Duration.ofMillis(10)) > 0 || maxBatch < 1 || maxBatch > 64
          || maxInFlight < 1 || maxInFlight > 16 || maxQueued < 1) {
        throw new IllegalArgumentException("group commit needs 0 < max-wait <= 10 ms, 1 <= max-batch <= 64,"
            + " 1 <= max-in-flight <= 16, max-queued >= 1");
      }
    }
  }

  /** The largest amount one payment may have in {@code currency}, in minor units. */
  long maxAmountMinor(CurrencyUnit currency) {
    return maxAmountMinor.getOrDefault(currency.code(), defaultMaxAmountMinor);
  }
}
