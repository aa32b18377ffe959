package org.malipo.gateway.webhook;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import io.r2dbc.spi.Parameters;
import io.r2dbc.spi.R2dbcType;
import org.malipo.gateway.common.Ids;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Tables {@code webhook_deliveries} and {@code webhook_attempts}: recording deliveries, claiming
 * due ones across instances ({@code FOR UPDATE SKIP LOCKED}), and recording every attempt.
 */
@Component
final class WebhookDeliveries {

  /** Longest error text kept per attempt. */
  static final int ERROR_MAX_LENGTH = 500;

  private static final String SQL_RECORD_ATTEMPT = """
            WITH attempt AS (
              INSERT INTO webhook_attempts (delivery_id, attempt, started_at, latency_ms, status_code, error, succeeded)
              VALUES (:id, :attempt, :started, :latency, :code, :error, :succeeded))
            UPDATE webhook_deliveries
               SET attempts = :attempt, status = :status, last_status_code = :code, last_error = :error,
                   next_attempt_at = CASE WHEN :status = 'pending' THEN now() + make_interval(secs => :delaySeconds) END,
                   delivered_at = CASE WHEN :succeeded THEN now() END,
                   updated_at = now()
             WHERE id = :id AND status = 'pending'""";

  private final DatabaseClient db;
  private final WebhookEndpoints endpoints;

  WebhookDeliveries(DatabaseClient db, WebhookEndpoints endpoints) {
    this.db = db;
    this.endpoints = endpoints;
  }

  /**
   * A delivery claimed for one attempt, with what signing needs.
   *
   * @param attemptsMade attempts before this one
   */
  record Claimed(String id, String endpointId, String merchantId, String eventId, String payload, int attemptsMade,
      WebhookEndpoints.Endpoint endpoint, String traceparent) {}

  /** A delivery as {@code GET /v1/webhook_endpoints/{id}/deliveries} shows it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record DeliveryView(String id, String object, String endpointId, String eventId, String eventType, String status,
      int attempts, boolean manual, Integer lastStatusCode, String lastError, String nextAttemptAt, String createdAt,
      String deliveredAt) {}

  /**
   * Records a pending delivery of an event to an endpoint, due now. An automatic delivery of the
   * same (event, endpoint) that exists already is kept as it is (the consumer is at least once),
   * and so is an operator's redelivery of the same dead delivery (at most one each).
   *
   * @param manual true for a merchant's or operator's redelivery request, which always adds a
   *     delivery (unless {@code redeliveryOf} already has one)
   * @param redeliveryOf the dead delivery an operator redelivers ({@code whd_…}), or null
   * @return the new delivery's id, or empty when it existed
   */
  Mono<String> record(String endpointId, String merchantId, String eventId, String eventType, String payload,
      boolean manual, String traceparent, String redeliveryOf) {
    String id = Ids.next("whd");
    // No conflict target: the two partial unique indexes (automatic once per endpoint and event;
    // one operator redelivery per dead delivery) each mean "recorded already".
    return db.sql("""
            INSERT INTO webhook_deliveries (id, endpoint_id, merchant_id, event_id, event_type, payload, manual, status,
                next_attempt_at, traceparent, redelivery_of)
            VALUES (:id, :endpoint, :merchant, :event, :type, :payload, :manual, 'pending', now(), :traceparent, :of)
            ON CONFLICT DO NOTHING""")
        .bind("id", id).bind("endpoint", endpointId).bind("merchant", merchantId).bind("event", eventId)
        .bind("type", eventType).bind("payload", payload).bind("manual", manual)
        .bind("traceparent", Parameters.in(R2dbcType.VARCHAR, traceparent))
        .bind("of", Parameters.in(R2dbcType.VARCHAR, redeliveryOf))
        .fetch().rowsUpdated()
        .flatMap(rows -> rows == 1 ? Mono.just(id) : Mono.empty());
  }

  /**
   * A delivery as an operator's redelivery sees it.
   *
   * @param endpointLive the endpoint is neither deleted nor disabled
   * @param redeliveryId the operator's redelivery of this delivery, or null when none yet
   */
  record Redeliverable(String id, String endpointId, String merchantId, String eventId, String eventType, String payload,
      String status, String traceparent, boolean endpointLive, String redeliveryId) {}

  /** The delivery {@code id} of any merchant, or empty. */
  Mono<Redeliverable> redeliverable(String id) {
    return db.sql("""
            SELECT d.id, d.endpoint_id, d.merchant_id, d.event_id, d.event_type, d.payload, d.status, d.traceparent,
                   (e.deleted_at IS NULL AND e.enabled) AS endpoint_live, r.id AS redelivery_id
            FROM webhook_deliveries d
            JOIN webhook_endpoints e ON e.id = d.endpoint_id
            LEFT JOIN webhook_deliveries r ON r.redelivery_of = d.id
            WHERE d.id = :id""")
        .bind("id", id)
        .map((row, meta) -> new Redeliverable(row.get("id", String.class), row.get("endpoint_id", String.class),
            row.get("merchant_id", String.class), row.get("event_id", String.class), row.get("event_type", String.class),
            row.get("payload", String.class), row.get("status", String.class), row.get("traceparent", String.class),
            Boolean.TRUE.equals(row.get("endpoint_live", Boolean.class)), row.get("redelivery_id", String.class)))
        .one();
  }

  /** The operator's redelivery of the dead delivery {@code deadId}, or empty when none. */
  Mono<String> redeliveryOf(String deadId) {
    return db.sql("SELECT id FROM webhook_deliveries WHERE redelivery_of = :id")
        .bind("id", deadId).map(row -> row.get("id", String.class)).one();
  }

  /**
   * A delivery as an operator's redelivery answers it (snake_case; times in epoch seconds).
   *
   * @param redeliveryOf the dead delivery this one redelivers
   */
  record OperatorView(String id, String object, String merchantId, String endpointId, String eventId, String eventType,
      String status, int attempts, boolean manual, String redeliveryOf, long createdAt) {}

  /** The delivery {@code id}, or empty. */
  Mono<OperatorView> operatorView(String id) {
    return db.sql("""
            SELECT id, merchant_id, endpoint_id, event_id, event_type, status, attempts, manual, redelivery_of, created_at
            FROM webhook_deliveries WHERE id = :id""")
        .bind("id", id)
        .map((row, meta) -> new OperatorView(row.get("id", String.class), "webhook_delivery",
            row.get("merchant_id", String.class), row.get("endpoint_id", String.class), row.get("event_id", String.class),
            row.get("event_type", String.class), row.get("status", String.class), row.get("attempts", Integer.class),
            Boolean.TRUE.equals(row.get("manual", Boolean.class)), row.get("redelivery_of", String.class),
            row.get("created_at", OffsetDateTime.class).toEpochSecond()))
        .one();
  }

  /**
   * Claims up to {@code limit} due deliveries of live endpoints in one statement: rows another
   * dispatcher holds are skipped, and each claimed row's {@code next_attempt_at} moves
   * {@code leaseMs} ahead, so a dispatcher that dies mid-attempt only delays its rows.
   */
  Flux<Claimed> claimDue(int limit, long leaseMs) {
    return db.sql("""
            WITH due AS (
              SELECT id FROM webhook_deliveries
              WHERE status = 'pending' AND next_attempt_at <= now()
              ORDER BY next_attempt_at LIMIT :limit
              FOR UPDATE SKIP LOCKED)
            UPDATE webhook_deliveries d
               SET next_attempt_at = now() + make_interval(secs => :leaseSeconds), updated_at = now()
              FROM due, webhook_endpoints e
             WHERE d.id = due.id AND e.id = d.endpoint_id
            RETURNING d.id AS delivery_id, d.event_id, d.payload, d.attempts, d.traceparent AS delivery_traceparent, e.*""")
        .bind("limit", limit).bind("leaseSeconds", leaseMs / 1000.0)
        .map((row, meta) -> new Claimed(row.get("delivery_id", String.class), row.get("id", String.class),
            row.get("merchant_id", String.class), row.get("event_id", String.class), row.get("payload", String.class),
            row.get("attempts", Integer.class), endpoints.toEndpoint(row), row.get("delivery_traceparent", String.class)))
        .all();
  }

  /**
   * Records one attempt and the delivery's new state in one statement.
   *
   * @param attempt this attempt's number (1 for the first)
   * @param statusCode the HTTP status, or null when none came back
   * @param error why it failed, or null
   * @param nextDelayMs wait before the next attempt; {@code -1} dead-letters a failed delivery
   */
  Mono<Void> recordAttempt(Claimed delivery, int attempt, Instant startedAt, long latencyMs, Integer statusCode,
      String error, boolean succeeded, long nextDelayMs) {
    String status = succeeded ? "delivered" : nextDelayMs < 0 ? "dead" : "pending";
    String trimmed = error == null || error.length() <= ERROR_MAX_LENGTH ? error : error.substring(0, ERROR_MAX_LENGTH);
    DatabaseClient.GenericExecuteSpec spec = db.sql(SQL_RECORD_ATTEMPT)
        .bind("id", delivery.id()).bind("attempt", attempt).bind("started", startedAt.atOffset(ZoneOffset.UTC))
        .bind("latency", latencyMs)
        .bind("succeeded", succeeded).bind("status", status)
        .bind("delaySeconds", Math.max(nextDelayMs, 0) / 1000.0);
    spec = statusCode == null ? spec.bindNull("code", Integer.class) : spec.bind("code", statusCode);
    spec = trimmed == null ? spec.bindNull("error", String.class) : spec.bind("error", trimmed);
    return spec
        .then();
  }

  /** Puts a claimed delivery back without an attempt (endpoint busy or its circuit open). */
  Mono<Void> postpone(Claimed delivery, long delayMs) {
    return db.sql("""
            UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => :delaySeconds), updated_at = now()
            WHERE id = :id AND status = 'pending'""")
        .bind("id", delivery.id()).bind("delaySeconds", delayMs / 1000.0)
        .then();
  }

  /** The endpoint's deliveries, newest first. */
  Flux<DeliveryView> forEndpoint(String merchantId, String endpointId, int limit) {
    return db.sql("""
            SELECT * FROM webhook_deliveries WHERE endpoint_id = :endpoint AND merchant_id = :merchant
            ORDER BY id DESC LIMIT :limit""")
        .bind("endpoint", endpointId).bind("merchant", merchantId).bind("limit", limit)
        .map((row, meta) -> new DeliveryView(row.get("id", String.class), "webhook_delivery",
            row.get("endpoint_id", String.class), row.get("event_id", String.class), row.get("event_type", String.class),
            row.get("status", String.class), row.get("attempts", Integer.class),
            Boolean.TRUE.equals(row.get("manual", Boolean.class)), row.get("last_status_code", Integer.class),
            row.get("last_error", String.class), text(row.get("next_attempt_at", OffsetDateTime.class)),
            text(row.get("created_at", OffsetDateTime.class)), text(row.get("delivered_at", OffsetDateTime.class))))
        .all();
  }

  private static String text(OffsetDateTime time) {
    return time == null ? null : time.toInstant().toString();
  }
}
