package org.malipo.gateway.checkout;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.malipo.gateway.common.BackgroundJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Every {@code malipo.checkout.sweep-interval}: settles sessions whose confirm's payment was left
 * running (client hang-up, crash, an STK push answered by callback) and expires open sessions past
 * their {@code expires_at}; at most {@code sweep-batch} of each per pass, 4 at a time. Safe on
 * several instances: every move is guarded by the session's status ({@link CheckoutLifecycle}).
 */
@Component
final class CheckoutSweeper extends BackgroundJob {

  private static final Logger log = LoggerFactory.getLogger(CheckoutSweeper.class);
  private static final int CONCURRENCY = 4;

  private final DatabaseClient db;
  private final CheckoutSessions sessions;
  private final CheckoutLifecycle lifecycle;
  private final CheckoutProperties properties;
  private final Clock clock;

  CheckoutSweeper(DatabaseClient db, CheckoutSessions sessions, CheckoutLifecycle lifecycle,
      CheckoutProperties properties, Clock clock) {
    this.db = db;
    this.sessions = sessions;
    this.lifecycle = lifecycle;
    this.properties = properties;
    this.clock = clock;
  }

  @Override
  protected Disposable launch() {
    return everyInterval(properties.sweepInterval(), log, "checkout sweep", this::sweep);
  }

  /** How long a confirm may hold a session without its payment being recorded before it is released. */
  static final java.time.Duration ABANDONED_AFTER = java.time.Duration.ofSeconds(60);

  /** One pass: settle running confirms, release abandoned ones, then expire due sessions. */
  Mono<Long> sweep() {
    return settleRunning().then(releaseAbandoned()).then(expireDue());
  }

  /**
   * A confirm whose process died after it took the session's slot but before its payment was
   * claimed (no idempotency key of its payment after {@link #ABANDONED_AFTER}) holds the slot no
   * more: a retry with the same key takes it again and starts that payment; another key may start
   * its own.
   */
  Mono<Long> releaseAbandoned() {
    Instant before = clock.instant().minus(ABANDONED_AFTER);
    return db.sql("UPDATE checkout_sessions s SET active_confirm_key = NULL, updated_at = now()"
            + " FROM checkout_session_confirms c"
            + " WHERE c.session_id = s.id AND c.confirm_key = s.active_confirm_key AND c.created_at < :before"
            + " AND NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.merchant_id = s.merchant_id"
            + " AND k.idempotency_key = c.payment_key)"
            + " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.merchant_id = s.merchant_id"
            + " AND p.idempotency_key = c.payment_key)")
        .bind("before", before)
        .fetch().rowsUpdated();
  }

  Mono<Long> settleRunning() {
    return db.sql("""
            SELECT s.id, s.merchant_id, s.livemode, c.confirm_key, c.payment_key FROM checkout_sessions s
            JOIN checkout_session_confirms c ON c.session_id = s.id AND c.confirm_key = s.active_confirm_key
            WHERE s.active_confirm_key IS NOT NULL ORDER BY s.updated_at LIMIT :limit""")
        .bind("limit", properties.sweepBatch())
        .map(row -> new String[] {row.get("id", String.class), row.get("merchant_id", String.class),
            String.valueOf(row.get("livemode", Boolean.class)), row.get("confirm_key", String.class),
            row.get("payment_key", String.class)})
        .all()
        .flatMap(r -> sessions.find(r[1], Boolean.parseBoolean(r[2]), r[0])
            .flatMap(session -> lifecycle.settle(session, r[3], r[4]))
            .onErrorResume(error -> {
              log.warn("checkout session {}: settling failed, retried next pass: {}", r[0], error.toString());
              return Mono.empty();
            }), CONCURRENCY)
        .count();
  }

  Mono<Long> expireDue() {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    return sessions.due(now, properties.sweepBatch())
        .flatMap(id -> db.sql("SELECT merchant_id, livemode FROM checkout_sessions WHERE id = :id").bind("id", id)
            .map(row -> new Object[] {row.get("merchant_id", String.class), row.get("livemode", Boolean.class)}).one()
            .flatMap(owner -> sessions.find((String) owner[0], (Boolean) owner[1], id))
            .flatMap(session -> lifecycle.expire(session, now, true))
            .filter(Boolean::booleanValue), CONCURRENCY)
        .count();
  }
}
