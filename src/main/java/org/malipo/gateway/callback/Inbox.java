package org.malipo.gateway.callback;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
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
  /** Verdicts of a callback kept but not applied, which an operator may dismiss. */
  static final List<String> QUARANTINED = List.of("mismatch", "orphan", "rejected", "late");

  /**
   * A row as an operator sees it (no body); times in epoch seconds.
   *
   * @param verdict null while it is (re)processed
   */
  record Reviewed(long id, String rail, String paymentId, String verdict, String verdictDetail, Long receivedAt,
      Long dismissedAt, String dismissedBy, String dismissalNote, Long reprocessedAt, String reprocessedBy) {}

  /** The row {@code id} as an operator sees it, or empty. */
  Mono<Reviewed> reviewed(long id) {
    return db.sql("""
            SELECT id, rail, payment_id, verdict, verdict_detail, received_at, dismissed_at, dismissed_by, dismissal_note,
                   reprocessed_at, reprocessed_by
            FROM inbox WHERE id = :id""")
        .bind("id", id)
        .map((row, meta) -> new Reviewed(row.get("id", Long.class), row.get("rail", String.class),
            row.get("payment_id", String.class), row.get("verdict", String.class), row.get("verdict_detail", String.class),
            epoch(row.get("received_at", OffsetDateTime.class)), epoch(row.get("dismissed_at", OffsetDateTime.class)),
            row.get("dismissed_by", String.class), row.get("dismissal_note", String.class),
            epoch(row.get("reprocessed_at", OffsetDateTime.class)), row.get("reprocessed_by", String.class)))
        .one();
  }

  /**
   * Dismisses a quarantined row not dismissed yet, guarded; the verdict stays.
   *
   * @return true if this call dismissed it
   */
  Mono<Boolean> dismiss(long id, String clientId, String note) {
    return db.sql("""
            UPDATE inbox SET dismissed_at = now(), dismissed_by = :client, dismissal_note = :note
            WHERE id = :id AND verdict IN ('mismatch', 'orphan', 'rejected', 'late') AND dismissed_at IS NULL""")
        .bind("id", id).bind("client", clientId).bind("note", note)
        .fetch().rowsUpdated().map(rows -> rows == 1);
  }

  /**
   * Opens an orphan row again (never dismissed nor reprocessed before), guarded: no verdict, its
   * attempts back to zero (the full retry schedule) and due now, so the processor matches it again.
   *
   * @return true if this call opened it
   */
  Mono<Boolean> reopenOrphan(long id, String clientId) {
    return db.sql("""
            UPDATE inbox SET verdict = NULL, verdict_detail = 'reprocessing requested by an operator', attempts = 0,
                next_attempt_at = now(), claimed_until = NULL, processed_at = NULL,
                reprocessed_at = now(), reprocessed_by = :client
            WHERE id = :id AND verdict = 'orphan' AND dismissed_at IS NULL AND reprocessed_at IS NULL""")
        .bind("id", id).bind("client", clientId)
        .fetch().rowsUpdated().map(rows -> rows == 1);
  }

  private static Long epoch(OffsetDateTime at) {
    return at == null ? null : at.toEpochSecond();
  }
}
