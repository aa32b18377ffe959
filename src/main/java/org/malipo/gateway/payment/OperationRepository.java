package org.malipo.gateway.payment;

import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.time.Instant;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.rail.AuthorizationOperation;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Captures and voids of held authorizations ({@code payment_operations}, V40): committed
 * {@code in_flight} before the acquirer is called (intent before the rail, ADR 0065), answered by
 * the same statement that moves the payment (docs/adr/0082-authorization-holds.md).
 */
@Component
final class OperationRepository {

  /** The name of the intent's CTE in a single statement ({@link #intentIn}). */
  static final String INTENT = "operation_intent";

  private final DatabaseClient db;

  OperationRepository(DatabaseClient db) {
    this.db = db;
  }

  /**
   * An operation as stored.
   *
   * @param operation what was (or is to be) sent to the rail
   * @param rail the rail that holds the authorization
   * @param merchantId the payment's merchant
   * @param reason a void's cancellation reason, or null
   * @param idempotencyKey the key of the request that asked for it; null for an expiry
   * @param statusChecks status queries made so far
   */
  record Stored(AuthorizationOperation operation, String rail, String merchantId, String reason, String idempotencyKey,
      int statusChecks) {}

  /**
   * The rail's answer to an operation, written with the payment's move ({@link OutcomeWriter}) or
   * alone when the payment does not move ({@link #answer}).
   *
   * @param outcome {@code approved}, {@code declined}, {@code not_processed} or {@code unknown}
   */
  record OperationAnswer(String operationId, String outcome, String railReference, String responseCode) {}

  /**
   * Adds the intent of an operation to a single statement: a CTE named {@value #INTENT} with one
   * row when the payment is still {@code requires_capture} (and, for an expiry, authorized before
   * {@code authorizedBefore}) and {@code after} has a row. The unique index on open operations
   * fails the statement when another capture or void may be under way.
   *
   * @param after a CTE of at most one row (the key's claim), or null
   * @param authorizedBefore only a hold older than this (expiry), or null
   */
  void intentIn(SingleStatement statement, String after, Stored intent, Instant at, Instant authorizedBefore) {
    AuthorizationOperation operation = intent.operation();
    statement.with(INTENT + " AS (" + """
                INSERT INTO payment_operations (id, payment_id, kind, amount_minor, reason, idempotency_key, rail, outcome,
                    next_status_check_at, created_at, updated_at)
                SELECT :operation_id, p.id, :operation_kind, :operation_amount, :operation_reason, :operation_key,
                    :operation_rail, 'in_flight', :operation_at, :operation_at, :operation_at
                FROM payments p
                WHERE p.id = :operation_payment AND p.status = 'requires_capture'
                    AND (CAST(:operation_before AS timestamptz) IS NULL OR p.authorized_at < CAST(:operation_before AS timestamptz))"""
            + (after == null ? "" : "\n        AND EXISTS (SELECT 1 FROM " + after + ")") + """

                RETURNING 1
            )""")
        .bind("operation_id", operation.operationId())
        .bind("operation_kind", operation.kind().wireName())
        .bind("operation_amount", operation.amount().amountMinor())
        .bind("operation_reason", intent.reason(), String.class)
        .bind("operation_key", intent.idempotencyKey(), String.class)
        .bind("operation_rail", intent.rail())
        .bind("operation_at", at)
        .bind("operation_payment", operation.paymentId())
        .bind("operation_before", authorizedBefore, Instant.class);
  }

  /**
   * Adds an operation's answer to a single statement (CTE {@code operation_answer}), required to
   * find the operation still {@code in_flight} or {@code unknown}: an answer is written once.
   */
  void answerIn(SingleStatement statement, OperationAnswer answer) {
    statement.with("""
            operation_answer AS (
                UPDATE payment_operations SET outcome = :operation_outcome,
                    rail_reference = COALESCE(rail_reference, CAST(:operation_reference AS text)),
                    response_code = CAST(:operation_code AS text), updated_at = now()
                WHERE id = :operation_answered AND outcome IN ('in_flight', 'unknown')
                RETURNING 1
            )""")
        .bind("operation_outcome", answer.outcome())
        .bind("operation_reference", answer.railReference(), String.class)
        .bind("operation_code", answer.responseCode(), String.class)
        .bind("operation_answered", answer.operationId())
        .require("(SELECT count(*) FROM operation_answer) = 1", "operation " + answer.operationId() + " was answered already");
  }

  /** Writes an answer that moves no payment (unknown, declined, not processed); one statement. */
  Mono<Void> answer(OperationAnswer answer) {
    SingleStatement statement = new SingleStatement();
    answerIn(statement, answer);
    return statement.execute(db);
  }

  /** The stored outcome of an operation ({@code in_flight}, {@code approved}, ...), or empty when there is none. */
  Mono<String> outcomeOf(String operationId) {
    return db.sql("SELECT outcome FROM payment_operations WHERE id = :id").bind("id", operationId)
        .map(row -> row.get("outcome", String.class)).one();
  }

  /**
   * The rail and rail reference of the payment's approved authorization, or empty when it has none.
   */
  Mono<String[]> authorizationOf(String paymentId) {
    return db.sql("""
            SELECT rail, rail_reference FROM payment_attempts
            WHERE payment_id = :payment AND outcome = 'approved' AND rail_reference IS NOT NULL
            ORDER BY started_at DESC LIMIT 1""")
        .bind("payment", paymentId)
        .map(row -> new String[] {row.get("rail", String.class), row.get("rail_reference", String.class)})
        .one();
  }

  /**
   * Claims operations whose answer was lost ({@code in_flight} for longer than {@code firstAfter},
   * or {@code unknown}) and whose next check is due; pushes each one's next check back, doubling
   * from {@code interval} (at most 64 times it), so another instance does not take it meanwhile.
   *
   * @param limit at most this many
   */
  Flux<Stored> claimUnsettled(Duration firstAfter, Duration interval, int limit) {
    return db.sql("""
            UPDATE payment_operations o SET status_checks = o.status_checks + 1,
                next_status_check_at = now() + make_interval(secs => :interval_s * power(2, LEAST(o.status_checks, 6)))
            FROM payments p
            WHERE p.id = o.payment_id AND o.id IN (
                SELECT id FROM payment_operations
                WHERE outcome IN ('in_flight', 'unknown') AND next_status_check_at <= now()
                    AND updated_at < now() - make_interval(secs => :first_s)
                ORDER BY next_status_check_at LIMIT :limit FOR UPDATE SKIP LOCKED)
            RETURNING o.id, o.payment_id, o.kind, o.amount_minor, p.currency, o.reason, o.idempotency_key, o.rail,
                p.merchant_id, o.status_checks,
                (SELECT a.rail_reference FROM payment_attempts a WHERE a.payment_id = o.payment_id
                    AND a.outcome = 'approved' ORDER BY a.started_at DESC LIMIT 1) AS authorization_reference""")
        .bind("interval_s", (double) interval.toMillis() / 1000)
        .bind("first_s", (double) firstAfter.toMillis() / 1000)
        .bind("limit", limit)
        .map(OperationRepository::toStored)
        .all();
  }

  /**
   * Payments held longer than their time to live ({@code authorized_at} before {@code cutoff}) with
   * no capture or void under way: the reconciler voids them.
   */
  Flux<String> expiredHolds(Instant cutoff, int limit) {
    return db.sql("""
            SELECT p.id FROM payments p
            WHERE p.status = 'requires_capture' AND p.authorized_at < :cutoff
                AND NOT EXISTS (SELECT 1 FROM payment_operations o WHERE o.payment_id = p.id
                                AND o.outcome IN ('in_flight', 'unknown', 'approved'))
            ORDER BY p.authorized_at LIMIT :limit""")
        .bind("cutoff", cutoff)
        .bind("limit", limit)
        .map(row -> row.get("id", String.class))
        .all();
  }

  private static Stored toStored(Readable row) {
    CurrencyUnit currency = CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow();
    AuthorizationOperation operation = new AuthorizationOperation(row.get("id", String.class),
        row.get("payment_id", String.class),
        "capture".equals(row.get("kind", String.class)) ? AuthorizationOperation.Kind.CAPTURE
            : AuthorizationOperation.Kind.VOID,
        row.get("authorization_reference", String.class),
        new Money(row.get("amount_minor", Long.class), currency));
    Integer checks = row.get("status_checks", Integer.class);
    return new Stored(operation, row.get("rail", String.class), row.get("merchant_id", String.class),
        row.get("reason", String.class), row.get("idempotency_key", String.class), checks == null ? 0 : checks);
  }
}
