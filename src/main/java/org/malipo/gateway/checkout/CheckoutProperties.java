package org.malipo.gateway.checkout;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Checkout sessions ({@code malipo.checkout.*}).
 *
 * @param baseUrl public root of the hosted page, e.g. {@code https://pay.malipo.example}; empty =
 *     the origin the session was created through
 * @param sweepInterval how often open sessions past their expiry are expired; default 5 s
 * @param sweepBatch sessions expired per sweep at most; default 100
 */
@ConfigurationProperties("malipo.checkout")
record CheckoutProperties(String baseUrl, Duration sweepInterval, Integer sweepBatch) {

  CheckoutProperties {
    baseUrl = baseUrl == null ? "" : baseUrl.replaceAll("/+$", "");
    sweepInterval = sweepInterval == null ? Duration.ofSeconds(5) : sweepInterval;
    sweepBatch = sweepBatch == null ? 100 : sweepBatch;
  }
}
