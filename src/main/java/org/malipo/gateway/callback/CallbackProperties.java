package org.malipo.gateway.callback;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Rail callbacks and the resolution of pending payments ({@code malipo.callbacks.*}).
 *
 * @param mpesaToken the secret path token of {@code /v1/callbacks/mpesa/{token}}; set per
 *     environment, the same on every instance; no default (required outside local and tests)
 * @param mtnMomoToken the secret path token of {@code /v1/callbacks/mtn-momo/{token}}; no default
 * @param baseUrl the gateway's public root the rails call back; empty = this server on
 *     127.0.0.1 at its bound port (local runs and tests)
 * @param confirmMpesa confirm an M-Pesa success by STK query before applying it; default true
 * @param confirmMtnMomo confirm a MoMo success by status GET before applying it; default true
 * @param pollInterval how often the inbox is polled besides wake-ups; default 500 ms
 * @param batchSize inbox rows claimed at once; default 50
 * @param concurrency inbox rows processed at once; default 8
 * @param maxAttempts processing attempts per inbox row before its verdict is forced (orphan);
 *     default 8
 * @param retryBackoff first retry delay of an inbox row, doubling; default 500 ms
 * @param pendingFirstCheck time after the rail accepted before a pending payment's first status
 *     query; default 60 s
 * @param pendingCheckInterval first interval between status queries, doubling; default 30 s
 * @param sweepInterval how often due pending payments are looked for; default 5 s
 * @param processingFirstCheck time after a payment's last change before a {@code processing}
 *     payment is reconciled: an attempt in flight (or unknown) is queried, a payment with no attempt
 *     is failed as never sent; longer than any rail's timeout; default 30 s
 * @param unconfirmedWindow how long an unconfirmed report, or an unsettled payment, is re-checked
 *     before it becomes an operator-visible exception; default 24 h
 * @param unconfirmedMaxBackoff the longest wait between two checks of an unconfirmed report; default 5 min
 * @param railCheckIntervals the first interval between two status checks, by rail name
 *     ({@code malipo.callbacks.rail-check-intervals.mpesa=10s}); rails not listed use {@code
 *     pending-check-interval}
 */
@ConfigurationProperties("malipo.callbacks")
public record CallbackProperties(String mpesaToken, String mtnMomoToken, String baseUrl, Boolean confirmMpesa,
    Boolean confirmMtnMomo, Duration pollInterval, Integer batchSize, Integer concurrency, Integer maxAttempts,
    Duration retryBackoff, Duration pendingFirstCheck, Duration pendingCheckInterval,
    Duration sweepInterval, Duration processingFirstCheck, Duration unconfirmedWindow, Duration unconfirmedMaxBackoff,
    java.util.Map<String, Duration> railCheckIntervals) {

  /** Replaces null components by their defaults. */
  public CallbackProperties {
    // No built-in token: local and test profiles set theirs, every other profile must (config.RequiredSettings).
    mpesaToken = mpesaToken == null ? "" : mpesaToken.strip();
    mtnMomoToken = mtnMomoToken == null ? "" : mtnMomoToken.strip();
    baseUrl = baseUrl == null ? "" : baseUrl.strip();
    confirmMpesa = confirmMpesa == null || confirmMpesa;
    confirmMtnMomo = confirmMtnMomo == null || confirmMtnMomo;
    pollInterval = pollInterval == null ? Duration.ofMillis(500) : pollInterval;
    batchSize = batchSize == null ? 50 : batchSize;
    concurrency = concurrency == null ? 8 : concurrency;
    maxAttempts = maxAttempts == null ? 8 : maxAttempts;
    retryBackoff = retryBackoff == null ? Duration.ofMillis(500) : retryBackoff;
    pendingFirstCheck = pendingFirstCheck == null ? Duration.ofSeconds(60) : pendingFirstCheck;
    pendingCheckInterval = pendingCheckInterval == null ? Duration.ofSeconds(30) : pendingCheckInterval;
    sweepInterval = sweepInterval == null ? Duration.ofSeconds(5) : sweepInterval;
    processingFirstCheck = processingFirstCheck == null ? Duration.ofSeconds(30) : processingFirstCheck;
    unconfirmedWindow = unconfirmedWindow == null ? Duration.ofHours(24) : unconfirmedWindow;
    unconfirmedMaxBackoff = unconfirmedMaxBackoff == null ? Duration.ofMinutes(5) : unconfirmedMaxBackoff;
    railCheckIntervals = railCheckIntervals == null ? java.util.Map.of() : java.util.Map.copyOf(railCheckIntervals);
  }

  @Override
  public String toString() {
    return "CallbackProperties[baseUrl=" + baseUrl + ", confirmMpesa=" + confirmMpesa + ", confirmMtnMomo="
        + confirmMtnMomo + ", maxAttempts=" + maxAttempts + ", pendingFirstCheck=" + pendingFirstCheck + "]";
  }
}
