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
 * @param pendingMaxChecks status queries before a still-pending payment fails with
 *     {@code timeout}; default 5
 * @param sweepInterval how often due pending payments are looked for; default 5 s
 */
@ConfigurationProperties("malipo.callbacks")
public record CallbackProperties(String mpesaToken, String mtnMomoToken, String baseUrl, Boolean confirmMpesa,
    Boolean confirmMtnMomo, Duration pollInterval, Integer batchSize, Integer concurrency, Integer maxAttempts,
    Duration retryBackoff, Duration pendingFirstCheck, Duration pendingCheckInterval, Integer pendingMaxChecks,
    Duration sweepInterval) {

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
    pendingMaxChecks = pendingMaxChecks == null ? 5 : pendingMaxChecks;
    sweepInterval = sweepInterval == null ? Duration.ofSeconds(5) : sweepInterval;
  }

  @Override
  public String toString() {
    return "CallbackProperties[baseUrl=" + baseUrl + ", confirmMpesa=" + confirmMpesa + ", confirmMtnMomo="
        + confirmMtnMomo + ", maxAttempts=" + maxAttempts + ", pendingFirstCheck=" + pendingFirstCheck + "]";
  }
}
