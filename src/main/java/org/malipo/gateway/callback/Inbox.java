package org.malipo.gateway.callback;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The {@code inbox} table: raw rail callbacks, claimed for processing by a guarded update
 * ({@code FOR UPDATE SKIP LOCKED} plus a lease), so several instances never process one row at
 * the same time, each ending with one verdict.
 */
@Component
final class Inbox {

  /** How long a claimed row is left to its processor before another instance may take it. */
  static final Duration LEASE = Duration.ofSeconds(30);

  /** Verdicts (INVARIANTS.md 10). */
  enum Verdict { APPLIED, DUPLICATE, LATE, MISMATCH, ORPHAN, REJECTED;
    String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One claimed row; {@code attempts} counts this processing. */
  record Row(long id, String rail, String referenceHint, byte[] body, int attempts, java.time.Instant receivedAt) {}

  private final DatabaseClient db;

  Inbox(DatabaseClient db) {
    this.db = db;
  }

  /** Stores a callback as received; returns its id. */
  Mono<Long> insert(String rail, String referenceHint, byte[] body) {
    GenericExecuteSpec spec = db.sql("INSERT INTO inbox (rail, reference_hint, body) VALUES (:rail, :hint, :body) RETURNING id")
        .bind("rail", rail)
        // Text: PostgreSQL refuses NUL bytes in text, and a callback is JSON.
        .bind("body", new String(body, StandardCharsets.UTF_8).replace("\u0000", "\uFFFD"));
    spec = referenceHint == null ? spec.bindNull("hint", String.class) : spec.bind("hint", referenceHint);
    return spec.map(row -> row.get("id", Long.class)).one();
  }

  /** Claims up to {@code limit} open rows that are due. */
  Flux<Row> claim(int limit) {
    return db.sql("""
            UPDATE inbox i SET attempts = i.attempts + 1,
                claimed_until = now() + CAST(:leaseMs AS bigint) * interval '1 millisecond'
            FROM (SELECT id FROM inbox
                  WHERE verdict IS NULL AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
                  ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED) due
            WHERE i.id = due.id
            RETURNING i.id, i.rail, i.reference_hint, i.body, i.attempts, i.received_at""")
        .bind("leaseMs", LEASE.toMillis())
        .bind("limit", limit)
        .map(row -> new Row(row.get("id", Long.class), row.get("rail", String.class),
            row.get("reference_hint", String.class), row.get("body", String.class).getBytes(StandardCharsets.UTF_8),
            row.get("attempts", Integer.class), row.get("received_at", java.time.Instant.class)))
        .all();
  }

  /** Releases a row to be processed again after {@code delay}. */
  Mono<Void> retryLater(long id, Duration delay, String why) {
    return db.sql("""
            UPDATE inbox SET claimed_until = NULL, verdict_detail = :why,
                next_attempt_at = now() + CAST(:delayMs AS bigint) * interval '1 millisecond'
            WHERE id = :id AND verdict IS NULL""")
        .bind("id", id).bind("why", why).bind("delayMs", delay.toMillis())
        .then();
  }

  /**
   * Records the verdict, guarded: errors with {@link IllegalStateException} if the row already has
   * one, so the caller's transaction rolls back.
   */
  Mono<Void> decide(long id, Verdict verdict, String detail, String railReference, String paymentId) {
    GenericExecuteSpec spec = db.sql("""
            UPDATE inbox SET verdict = :verdict, verdict_detail = :detail, rail_reference = :reference,
                payment_id = :payment, processed_at = now(), claimed_until = NULL
            WHERE id = :id AND verdict IS NULL""")
        .bind("id", id).bind("verdict", verdict.wireName()).bind("detail", detail);
    spec = railReference == null ? spec.bindNull("reference", String.class) : spec.bind("reference", railReference);
    spec = paymentId == null ? spec.bindNull("payment", String.class) : spec.bind("payment", paymentId);
    return spec.fetch().rowsUpdated().flatMap(rows -> rows == 1 ? Mono.<Void>empty()
        : Mono.error(new IllegalStateException("inbox row " + id + " already has a verdict")));
  }
}
