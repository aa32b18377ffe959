package org.malipo.gateway.webhook;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Webhook delivery settings ({@code malipo.webhooks.*}); defaults are production values
 * (docs/adr/0021-webhook-delivery.md).
 *
 * @param consumerGroup Kafka consumer group of the delivery recorder
 * @param deliveryTimeout longest wait for one POST, connect to response headers (10 s)
 * @param pollInterval how often the dispatcher looks for due deliveries when nobody wakes it
 * @param batchSize most deliveries claimed per pass
 * @param maxInFlight most POSTs in flight on this instance, over all endpoints
 * @param perEndpointConcurrency most POSTs in flight to one endpoint on this instance
 * @param retryInitialInterval wait after the first failed attempt
 * @param retryMultiplier growth of the wait per failed attempt
 * @param retryMaxInterval longest wait between two attempts
 * @param retryRandomization jitter: each wait is drawn from ± this fraction of it
 * @param attemptsMax attempts before a delivery is dead-lettered
 * @param circuitFailureRatePercent failure rate (of the last {@code circuitWindow} calls) that opens an endpoint's circuit
 * @param circuitWindow calls in an endpoint circuit's sliding window (also its minimum)
 * @param circuitOpenDuration how long an open circuit refuses calls before probing again
 * @param maxEndpointsPerMerchant most live endpoints of one merchant
 */
@ConfigurationProperties("malipo.webhooks")
record WebhookProperties(
    String consumerGroup,
    Duration deliveryTimeout,
    Duration pollInterval,
    Integer batchSize,
    Integer maxInFlight,
    Integer perEndpointConcurrency,
    Duration retryInitialInterval,
    Double retryMultiplier,
    Duration retryMaxInterval,
    Double retryRandomization,
    Integer attemptsMax,
    Integer circuitFailureRatePercent,
    Integer circuitWindow,
    Duration circuitOpenDuration,
    Integer maxEndpointsPerMerchant) {

  WebhookProperties {
    consumerGroup = consumerGroup == null ? "malipo-webhooks" : consumerGroup;
    deliveryTimeout = deliveryTimeout == null ? Duration.ofSeconds(10) : deliveryTimeout;
    pollInterval = pollInterval == null ? Duration.ofSeconds(1) : pollInterval;
    batchSize = batchSize == null ? 100 : batchSize;
    maxInFlight = maxInFlight == null ? 64 : maxInFlight;
    perEndpointConcurrency = perEndpointConcurrency == null ? 4 : perEndpointConcurrency;
    retryInitialInterval = retryInitialInterval == null ? Duration.ofMinutes(1) : retryInitialInterval;
    retryMultiplier = retryMultiplier == null ? 3.0 : retryMultiplier;
    retryMaxInterval = retryMaxInterval == null ? Duration.ofHours(12) : retryMaxInterval;
    retryRandomization = retryRandomization == null ? 0.2 : retryRandomization;
    attemptsMax = attemptsMax == null ? 12 : attemptsMax;
    circuitFailureRatePercent = circuitFailureRatePercent == null ? 50 : circuitFailureRatePercent;
    circuitWindow = circuitWindow == null ? 10 : circuitWindow;
    circuitOpenDuration = circuitOpenDuration == null ? Duration.ofMinutes(1) : circuitOpenDuration;
    maxEndpointsPerMerchant = maxEndpointsPerMerchant == null ? 16 : maxEndpointsPerMerchant;
  }

  /** How long a claimed delivery stays invisible to other dispatchers: the POST timeout and a margin. */
  Duration claimLease() {
    return deliveryTimeout.multipliedBy(3);
  }
}
