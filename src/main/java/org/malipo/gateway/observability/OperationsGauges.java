package org.malipo.gateway.observability;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.malipo.gateway.common.BackgroundJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * The gauges an SRE pages on that only the database knows (issue 24), refreshed every {@code
 * malipo.observability.gauge-interval} by one query that reads small partial indexes only
 * (migration V50):
 *
 * <ul>
 *   <li>{@code malipo.non_final.oldest.age} (Prometheus {@code malipo_non_final_oldest_age_seconds}),
 *       tag {@code kind} = {@code payment}, {@code refund}, {@code payout}: age in seconds of the
 *       oldest one not in a final status (0 when none);
 *   <li>{@code malipo.non_final} ({@code malipo_non_final}), same tag: how many are not final;
 *   <li>{@code malipo.exceptions.open} ({@code malipo_exceptions_open}), tag {@code kind} =
 *       {@code unconfirmed_success}, {@code unknown_attempt}, {@code unknown_refund}: operator
 *       cases not resolved yet;
 *   <li>{@code malipo.webhooks.dead} ({@code malipo_webhooks_dead}): dead-lettered webhook
 *       deliveries (the dead-letter queue's depth; a redelivery is a new delivery);
 *   <li>{@code malipo.callbacks.open} ({@code malipo_callbacks_open}): rail callbacks received
 *       and not yet given a verdict.
 * </ul>
 *
 * A failed refresh keeps the last values and logs a warning; a metric never stops anything else.
 */
@Component
public final class OperationsGauges extends BackgroundJob {

  /** Kinds of money movement that have a non-final status. */
  static final List<String> KINDS = List.of("payment", "refund", "payout");
  /** Kinds of operator exception (table payment_exceptions). */
  static final List<String> EXCEPTION_KINDS = List.of("unconfirmed_success", "unknown_attempt", "unknown_refund");

  private static final Logger log = LoggerFactory.getLogger(OperationsGauges.class);

  private final DatabaseClient db;
  private final Duration interval;
  private final Map<String, AtomicLong> oldestSeconds = Map.of(
      "payment", new AtomicLong(), "refund", new AtomicLong(), "payout", new AtomicLong());
  private final Map<String, AtomicLong> nonFinal = Map.of(
      "payment", new AtomicLong(), "refund", new AtomicLong(), "payout", new AtomicLong());
  private final Map<String, AtomicLong> exceptionsOpen = Map.of(
      "unconfirmed_success", new AtomicLong(), "unknown_attempt", new AtomicLong(), "unknown_refund", new AtomicLong());
  private final AtomicLong webhooksDead = new AtomicLong();
  private final AtomicLong callbacksOpen = new AtomicLong();

  OperationsGauges(DatabaseClient db, MeterRegistry meters,
      @Value("${malipo.observability.gauge-interval:15s}") Duration interval) {
    this.db = db;
    this.interval = interval;
    for (String kind : KINDS) {
      Gauge.builder("malipo.non_final.oldest.age", oldestSeconds.get(kind), AtomicLong::get).baseUnit("seconds")
          .description("Age of the oldest payment, refund or payout not in a final status").tag("kind", kind)
          .register(meters);
      Gauge.builder("malipo.non_final", nonFinal.get(kind), AtomicLong::get)
          .description("Payments, refunds or payouts not in a final status").tag("kind", kind).register(meters);
    }
    for (String kind : EXCEPTION_KINDS) {
      Gauge.builder("malipo.exceptions.open", exceptionsOpen.get(kind), AtomicLong::get)
          .description("Operator exception cases not resolved").tag("kind", kind).register(meters);
    }
    Gauge.builder("malipo.webhooks.dead", webhooksDead, AtomicLong::get)
        .description("Dead-lettered webhook deliveries").register(meters);
    Gauge.builder("malipo.callbacks.open", callbacksOpen, AtomicLong::get)
        .description("Rail callbacks received without a verdict yet").register(meters);
  }

  @Override
  protected Disposable launch() {
    return everyInterval(interval, log, "operations gauges refresh", this::refresh);
  }

  /** One refresh of every gauge; completes when the values are set. */
  Mono<Void> refresh() {
    // Each sub-select matches one partial index's predicate exactly, so it reads that index only.
    return db.sql("""
            SELECT 'oldest' AS metric, k.kind, coalesce(extract(epoch FROM now() - k.oldest), 0)::bigint AS value
            FROM (
                SELECT 'payment' AS kind, least(
                    (SELECT min(created_at) FROM payments WHERE status = 'processing'),
                    (SELECT min(created_at) FROM payments WHERE status = 'pending'),
                    (SELECT min(created_at) FROM payments WHERE status = 'requires_action')) AS oldest
                UNION ALL SELECT 'refund', (SELECT min(created_at) FROM refunds WHERE status = 'pending')
                UNION ALL SELECT 'payout', (SELECT min(created_at) FROM payouts WHERE status = 'pending')
            ) k
            UNION ALL SELECT 'non_final', 'payment', (SELECT count(*) FROM payments WHERE status = 'processing')
                + (SELECT count(*) FROM payments WHERE status = 'pending')
                + (SELECT count(*) FROM payments WHERE status = 'requires_action')
            UNION ALL SELECT 'non_final', 'refund', (SELECT count(*) FROM refunds WHERE status = 'pending')
            UNION ALL SELECT 'non_final', 'payout', (SELECT count(*) FROM payouts WHERE status = 'pending')
            UNION ALL SELECT 'exceptions', kind, count(*) FROM payment_exceptions WHERE resolved_at IS NULL GROUP BY kind
            UNION ALL SELECT 'webhooks_dead', '', (SELECT count(*) FROM webhook_deliveries d WHERE status = 'dead'
                AND NOT EXISTS (SELECT 1 FROM webhook_deliveries r WHERE r.redelivery_of = d.id))
            UNION ALL SELECT 'callbacks_open', '', (SELECT count(*) FROM inbox WHERE verdict IS NULL)""")
        .map(row -> new Sample(row.get("metric", String.class), row.get("kind", String.class),
            row.get("value", Long.class)))
        .all()
        .collectList()
        .doOnNext(this::apply)
        .then();
  }

  private record Sample(String metric, String kind, Long value) {}

  private void apply(List<Sample> samples) {
    // Kinds with no open case have no row: they go back to zero.
    exceptionsOpen.forEach((kind, value) -> {
      if (samples.stream().noneMatch(sample -> "exceptions".equals(sample.metric()) && kind.equals(sample.kind()))) {
        value.set(0);
      }
    });
    for (Sample sample : samples) {
      long value = sample.value() == null ? 0 : sample.value();
      AtomicLong target = switch (sample.metric()) {
        case "oldest" -> oldestSeconds.get(sample.kind());
        case "non_final" -> nonFinal.get(sample.kind());
        case "exceptions" -> exceptionsOpen.get(sample.kind());
        case "webhooks_dead" -> webhooksDead;
        case "callbacks_open" -> callbacksOpen;
        default -> null;
      };
      if (target != null) {
        target.set(Math.max(0, value));
      }
    }
  }
}
