package org.malipo.gateway.retention;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How long rows are kept and how the purge runs ({@code malipo.retention.*}; docs/adr/0068-retention.md).
 *
 * @param enabled whether this instance purges at all; default true
 * @param interval time between two purge passes; default 5 min
 * @param batchSize rows deleted per statement (one short transaction each); default 1,000
 * @param maxBatchesPerPass statements per table per pass, so a backlog is worked off over several
 *     passes instead of one long one; default 50
 * @param idempotencyKeys how long after it expired (24 h after its first use,
 *     {@code IdempotencyStore.RETENTION_HOURS}) the key of a final payment or refund is deleted;
 *     a key whose payment or refund is not final is never deleted; default 24 h
 * @param outbox how long a published event is kept (it also serves {@code GET /v1/events} and
 *     redelivery); each payment's latest event is kept, whatever its age; default 30 days
 * @param inbox how long a processed rail callback is kept; default 30 days
 * @param webhookDeliveries how long a finished (delivered, dead or cancelled) webhook delivery and
 *     its attempts are kept after the delivery was created; must exceed the Kafka topic's
 *     retention, since the deliveries also keep a re-read event from being delivered twice;
 *     default 30 days
 */
@ConfigurationProperties("malipo.retention")
record RetentionProperties(Boolean enabled, Duration interval, Integer batchSize, Integer maxBatchesPerPass,
    Duration idempotencyKeys, Duration outbox, Duration inbox, Duration webhookDeliveries) {

  RetentionProperties {
    enabled = enabled == null || enabled;
    interval = interval == null ? Duration.ofMinutes(5) : interval;
    batchSize = batchSize == null ? 1_000 : batchSize;
    maxBatchesPerPass = maxBatchesPerPass == null ? 50 : maxBatchesPerPass;
    idempotencyKeys = idempotencyKeys == null ? Duration.ofHours(24) : idempotencyKeys;
    outbox = outbox == null ? Duration.ofDays(30) : outbox;
    inbox = inbox == null ? Duration.ofDays(30) : inbox;
    webhookDeliveries = webhookDeliveries == null ? Duration.ofDays(30) : webhookDeliveries;
    if (!interval.isPositive() || batchSize < 1 || batchSize > 10_000 || maxBatchesPerPass < 1) {
      throw new IllegalArgumentException("malipo.retention: interval must be positive, batch-size 1..10000, "
          + "max-batches-per-pass at least 1");
    }
    if (idempotencyKeys.isNegative() || !outbox.isPositive() || !inbox.isPositive() || !webhookDeliveries.isPositive()) {
      throw new IllegalArgumentException("malipo.retention: idempotency-keys must not be negative; outbox, inbox "
          + "and webhook-deliveries must be positive");
    }
  }
}
