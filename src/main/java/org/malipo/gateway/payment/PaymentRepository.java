package org.malipo.gateway.payment;

import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.common.TraceContext;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Payments and attempts in PostgreSQL over R2DBC. Every read is scoped by merchant id
 * (INVARIANTS.md 18). Writes join the caller's transaction when there is one.
 */
@Component
final class PaymentRepository {

  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};
  private static final String COLUMNS = "p.id, p.merchant_id, p.idempotency_key, p.status, p.amount_minor, p.currency,"
      + " p.fee_minor, p.reference, p.description, p.metadata::text AS metadata, p.card_brand, p.card_bin,"
      + " p.card_last4, p.card_fingerprint, p.mobile_operator, p.msisdn, p.provider, p.risk_score, p.risk_decision, p.risk_reasons,"
      + " p.failure_code, p.failure_message, p.created_at, p.updated_at,"
      + " CAST(p.attempts_started AS bigint) AS attempts, p.capture_method, p.amount_captured_minor, p.cancellation_reason, p.livemode, p.return_url";

  /** The name of the new payment's CTE in a single statement ({@link #insertIn}). */
  static final String INSERTED = "payment_insert";
  /** The name of the guarded outcome update's CTE in a single statement ({@link #outcomeIn}). */
  static final String OUTCOME = "payment_outcome";

  private final DatabaseClient db;
  private final JsonMapper json;

  PaymentRepository(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /**
   * Adds the insert of a new payment (status {@code processing}) to a single statement: a CTE
   * named {@value #INSERTED} with the payment's one row, parameters {@code :payment_*}. A payment
   * with its first attempt started ({@link Payment#withAttemptStarted}) is inserted with that
   * rail and one attempt started; {@link #firstAttemptIn} then adds the attempt's intent.
   *
   * @param after a CTE of at most one row (the idempotency claim): the payment is inserted only if
   *     it has a row
   */
  void insertIn(SingleStatement statement, String after, Payment p) {
    MaskedCard card = p.card();
    statement.with(INSERTED + " AS (" + """
                INSERT INTO payments (id, merchant_id, idempotency_key, status, amount_minor, currency, fee_minor,
                    reference, description, metadata, method_type, card_brand, card_bin, card_last4, card_fingerprint,
                    mobile_operator, msisdn, provider, attempts_started, created_at, updated_at, capture_method, livemode,
                    return_url, traceparent)
                SELECT :payment_id, :payment_merchant, :payment_key, :payment_status, :payment_amount, :payment_currency, 0,
                    :payment_reference, :payment_description, CAST(:payment_metadata AS jsonb), :payment_method,
                    :payment_brand, :payment_bin, :payment_last4, :payment_fingerprint, :payment_operator, :payment_msisdn,
                    :payment_provider, :payment_attempts, :payment_created, :payment_created, :payment_capture_method, :payment_livemode,
                    CAST(:payment_return_url AS text), CAST(:payment_traceparent AS text)
                FROM\s""" + after + """

                RETURNING 1
            )""")
        .bind("payment_id", p.id())
        .bind("payment_provider", p.provider(), String.class)
        .bind("payment_attempts", p.attempts())
        .bind("payment_livemode", p.livemode())
        .bind("payment_return_url", p.returnUrl(), String.class)
        // The recording span's W3C traceparent: the payment's later callbacks join its trace (null: untraced).
        .bind("payment_traceparent", TraceContext.current(), String.class)
        .bind("payment_capture_method", p.captureMethod().wireName())
        .bind("payment_merchant", p.merchantId())
        .bind("payment_key", p.idempotencyKey())
        .bind("payment_status", p.status().wireName())
        .bind("payment_amount", p.amount().amountMinor())
        .bind("payment_currency", p.amount().currency().code())
        .bind("payment_metadata", json.writeValueAsString(p.metadata()))
        .bind("payment_method", card != null ? "card" : "mobile_money")
        .bind("payment_created", p.createdAt())
        .bind("payment_brand", card == null ? null : card.brand(), String.class)
        .bind("payment_bin", card == null ? null : card.bin(), String.class)
        .bind("payment_last4", card == null ? null : card.last4(), String.class)
        .bind("payment_fingerprint", card == null ? null : card.fingerprint(), String.class)
        .bind("payment_operator", p.wallet() == null ? null : p.wallet().operator(), String.class)
        .bind("payment_msisdn", p.wallet() == null ? null : p.wallet().msisdn(), String.class)
        .bind("payment_reference", p.reference(), String.class)
        .bind("payment_description", p.description(), String.class);
  }

  /**
   * Adds the first attempt's intent to the statement that inserts the payment ({@link #insertIn}
   * with {@code started}): the attempt row, {@code in_flight}, written only if the payment was
   * inserted. One commit then records the payment and the intent to call its first rail
   * (docs/adr/0077-first-write-carries-the-intent.md); later attempts use {@link #startAttempt}.
   *
   * @param started the payment with its first attempt counted ({@link Payment#withAttemptStarted})
   * @param attemptId the attempt's id, also the rail's idempotency reference
   */
  void firstAttemptIn(SingleStatement statement, Payment started, String attemptId) {
    if (started.attempts() != 1 || started.provider() == null) {
      throw new IllegalArgumentException("payment " + started.id() + " has not exactly its first attempt started");
    }
    statement.with("""
            first_attempt_intent AS (
                INSERT INTO payment_attempts (id, payment_id, rail, outcome, started_at, latency_ms)
                SELECT :first_attempt, :payment_id, :payment_provider, 'in_flight', :payment_created, 0 FROM\s"""
            + INSERTED + """

            )""")
        .bind("first_attempt", attemptId);
  }

  /**
   * Commits the intent to call a rail before the request leaves (docs/adr/0065-payment-lifecycle.md):
   * the attempt row with outcome {@code in_flight}, and the payment's provider and attempts started,
   * guarded by the payment still being {@code processing} with {@code started.attempts() - 1}
   * attempts. After a crash the reconciler therefore knows whether the rail may have been called.
   *
   * @param started the payment with the new attempt counted ({@link Payment#withAttemptStarted})
   * @param attemptId the attempt's id, also the rail's idempotency reference
   * @return completes when committed; error {@link IllegalStateException} when the payment moved
   *     on meanwhile (the reconciler failed it as never sent): the rail must then not be called
   */
  Mono<Void> startAttempt(Payment started, String attemptId, Instant startedAt) {
    return startAttemptFrom(PaymentStatus.PROCESSING, started, attemptId, startedAt);
  }

  /**
   * Writes the new status, provider, risk, failure and fee, guarded by the previous status so
   * two writers can never both move the same payment (the state machine holds in the database).
   *
   * @return error {@link IllegalStateException} if the payment was not in {@code previous}
   */
  Mono<Void> updateOutcome(Payment p, PaymentStatus previous) {
    SingleStatement statement = new SingleStatement();
    outcomeIn(statement, p, previous, List.of());
    return statement.execute(db);
  }

  /**
   * Adds {@link #updateOutcome} and the rail attempts' answers to a single statement: CTEs named
   * {@value #OUTCOME} (the payment's one row, locked) and {@code payment_attempt_rows}, parameters
   * {@code :payment_*}, and the requirement that the payment was in {@code previous} with {@code
   * p.attempts()} attempts started (else the statement writes nothing and fails with {@link
   * IllegalStateException}). Each attempt row, committed before its call ({@link #startAttempt}),
   * gets its answer if it had none yet ({@code in_flight}, {@code unknown} or {@code pending}); a
   * rail reference can belong to one attempt only (unique index).
   */
  void outcomeIn(SingleStatement statement, Payment p, PaymentStatus previous, List<PaymentAttempt> attempts) {
    Payment.Risk risk = p.risk();
    Payment.Failure failure = p.failure();
    statement.with(OUTCOME + " AS (" + """
                UPDATE payments SET status = :payment_status, provider = :payment_provider, fee_minor = :payment_fee,
                    risk_score = :payment_score, risk_decision = :payment_decision, risk_reasons = :payment_reasons,
                    failure_code = :payment_failure_code, failure_message = :payment_failure_message,
                    updated_at = :payment_updated, amount_captured_minor = CAST(:payment_captured AS bigint),
                    cancellation_reason = CAST(:payment_cancellation AS text),
                    authorized_at = CASE WHEN :payment_status = 'requires_capture' THEN :payment_updated ELSE authorized_at END
                WHERE id = :payment_id AND status = :payment_previous AND attempts_started = :payment_attempts
                RETURNING 1
            )""")
        .bind("payment_id", p.id())
        .bind("payment_status", p.status().wireName())
        .bind("payment_previous", previous.wireName())
        .bind("payment_attempts", p.attempts())
        .bind("payment_fee", p.fee().amountMinor())
        .bind("payment_updated", p.updatedAt())
        .bind("payment_provider", p.provider(), String.class)
        .bind("payment_score", risk == null ? null : risk.score(), Integer.class)
        .bind("payment_decision", risk == null ? null : risk.decision(), String.class)
        .bind("payment_reasons", risk == null ? new String[0] : risk.reasons().toArray(String[]::new))
        .bind("payment_failure_code", failure == null ? null : failure.code(), String.class)
        .bind("payment_failure_message", failure == null ? null : failure.message(), String.class)
        .bind("payment_captured", p.amountCaptured() == null ? null : p.amountCaptured().amountMinor(), Long.class)
        .bind("payment_cancellation", p.cancellationReason(), String.class)
        .require("(SELECT count(*) FROM " + OUTCOME + ") = 1", "payment " + p.id() + " was not " + previous.wireName()
            + " with " + p.attempts() + " attempts");
    if (attempts.isEmpty()) {
      return;
    }
    statement.with("""
            payment_attempt_rows AS (
                UPDATE payment_attempts t SET outcome = a.outcome, rail_reference = COALESCE(t.rail_reference, a.rail_reference),
                    response_code = a.response_code, failure_code = a.failure_code,
                    latency_ms = GREATEST(t.latency_ms, a.latency_ms)
                FROM unnest(CAST(:payment_attempt_ids AS text[]), CAST(:payment_attempt_outcomes AS text[]),
                    CAST(:payment_attempt_references AS text[]), CAST(:payment_attempt_response_codes AS text[]),
                    CAST(:payment_attempt_failure_codes AS text[]), CAST(:payment_attempt_latencies AS bigint[]))
                    AS a(id, outcome, rail_reference, response_code, failure_code, latency_ms)
                WHERE t.id = a.id AND t.payment_id = :payment_id AND t.outcome IN ('in_flight', 'unknown', 'pending')
                    AND EXISTS (SELECT 1 FROM\s""" + OUTCOME + """
            )
                RETURNING 1
            )""")
        .bind("payment_attempt_ids", attempts.stream().map(PaymentAttempt::id).toArray(String[]::new))
        .bind("payment_attempt_outcomes", attempts.stream().map(PaymentAttempt::outcome).toArray(String[]::new))
        .bind("payment_attempt_references", attempts.stream().map(PaymentAttempt::railReference).toArray(String[]::new))
        .bind("payment_attempt_response_codes", attempts.stream().map(PaymentAttempt::responseCode).toArray(String[]::new))
        .bind("payment_attempt_failure_codes", attempts.stream().map(PaymentAttempt::failureCode).toArray(String[]::new))
        .bind("payment_attempt_latencies", attempts.stream().map(PaymentAttempt::latencyMs).toArray(Long[]::new));
  }

  /**
   * The merchant's payment with this id in one mode, or empty (also when it belongs to another
   * merchant or the other mode: a test credential never sees a live payment, and the reverse).
   */
  Mono<Payment> find(String merchantId, boolean livemode, String id) {
    return db.sql("SELECT " + COLUMNS + " FROM payments p WHERE p.merchant_id = :merchant AND p.id = :id"
            + " AND p.livemode = :livemode")
        .bind("merchant", merchantId)
        .bind("id", id)
        .bind("livemode", livemode)
        .map(this::toPayment)
        .one();
  }

  /** The merchant's payment with this id, or empty (also when it belongs to another merchant). */
  Mono<Payment> find(String merchantId, String id) {
    return db.sql("SELECT " + COLUMNS + " FROM payments p WHERE p.merchant_id = :merchant AND p.id = :id")
        .bind("merchant", merchantId)
        .bind("id", id)
        .map(this::toPayment)
        .one();
  }

  /**
   * One page of the merchant's payments, newest first.
   *
   * @param limit rows to fetch (callers ask for one more than they show, to learn {@code has_more})
   * @param startingAfter id of the last payment of the previous page, or null
   * @param status only this status, or null
   * @param idempotencyKey only the payment created with this key, or null
   */
  Flux<Payment> page(String merchantId, boolean livemode, int limit, String startingAfter, PaymentStatus status,
      String idempotencyKey) {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM payments p WHERE p.merchant_id = :merchant"
        + " AND p.livemode = :livemode");
    if (startingAfter != null) {
      sql.append(" AND p.id < :after");
    }
    if (status != null) {
      sql.append(" AND p.status = :status");
    }
    if (idempotencyKey != null) {
      sql.append(" AND p.idempotency_key = :key");
    }
    sql.append(" ORDER BY p.id DESC LIMIT :limit");
    GenericExecuteSpec spec = db.sql(sql.toString()).bind("merchant", merchantId).bind("limit", limit)
        .bind("livemode", livemode);
    if (startingAfter != null) {
      spec = spec.bind("after", startingAfter);
    }
    if (status != null) {
      spec = spec.bind("status", status.wireName());
    }
    if (idempotencyKey != null) {
      spec = spec.bind("key", idempotencyKey);
    }
    return spec.map(this::toPayment).all();
  }

  /** The payment with this id, its row locked until the caller's transaction ends. */
  Mono<Payment> findForUpdate(String id) {
    return db.sql("SELECT " + COLUMNS + " FROM payments p WHERE p.id = :id FOR UPDATE OF p")
        .bind("id", id)
        .map(this::toPayment)
        .one();
  }

  /** The payment with this id, of whichever merchant (the 3-D Secure result names only the payment). */
  Mono<Payment> findById(String id) {
    return db.sql("SELECT " + COLUMNS + " FROM payments p WHERE p.id = :id")
        .bind("id", id)
        .map(this::toPayment)
        .one();
  }

  /**
   * The W3C traceparent of the span that recorded the payment ({@code payments.traceparent},
   * issue 24), for later work that joins its trace; empty when the payment is unknown or was not
   * traced. Read only when tracing is on.
   */
  Mono<String> traceparent(String id) {
    return db.sql("SELECT traceparent FROM payments WHERE id = :id AND traceparent IS NOT NULL")
        .bind("id", id)
        .map(row -> row.get("traceparent", String.class))
        .one();
  }

  /**
   * Ids of payments left {@code requires_action} since before {@code cutoff} (3-D Secure not
   * completed in time), oldest first.
   *
   * @param limit at most this many
   */
  reactor.core.publisher.Flux<String> awaitingAuthenticationSince(Instant cutoff, int limit) {
    return db.sql("SELECT id FROM payments WHERE status = 'requires_action' AND updated_at < :cutoff"
            + " ORDER BY updated_at LIMIT :limit")
        .bind("cutoff", cutoff).bind("limit", limit)
        .map(row -> row.get("id", String.class))
        .all();
  }

  /**
   * Commits the intent to authorize an authenticated payment (3-D Secure passed) before the rail
   * is called: {@code requires_action → processing} with its first attempt {@code in_flight},
   * guarded by the payment still being {@code requires_action} with {@code started.attempts() - 1}
   * attempts, so one result only ever starts one authorization.
   *
   * @return error {@link IllegalStateException} when the payment moved on meanwhile (another
   *     result, a cancel or the timeout came first): the rail must then not be called
   */
  Mono<Void> startAuthenticatedAttempt(Payment started, String attemptId, Instant startedAt) {
    return startAttemptFrom(PaymentStatus.REQUIRES_ACTION, started, attemptId, startedAt);
  }

  /** The attempt's intent, written only while the payment is still {@code from} (then {@code processing}). */
  private Mono<Void> startAttemptFrom(PaymentStatus from, Payment started, String attemptId, Instant startedAt) {
    SingleStatement statement = new SingleStatement();
    statement.with("""
            payment_intent AS (
                UPDATE payments SET status = 'processing', provider = :intent_rail, attempts_started = :intent_attempts,
                    updated_at = :intent_at
                WHERE id = :intent_payment AND status = :intent_from AND attempts_started = :intent_attempts - 1
                RETURNING 1
            )""")
        .with("""
            attempt_intent AS (
                INSERT INTO payment_attempts (id, payment_id, rail, outcome, started_at, latency_ms)
                SELECT :intent_attempt, :intent_payment, :intent_rail, 'in_flight', :intent_at, 0 FROM payment_intent
                RETURNING 1
            )""")
        .bind("intent_payment", started.id())
        .bind("intent_attempt", attemptId)
        .bind("intent_rail", started.provider())
        .bind("intent_attempts", started.attempts())
        .bind("intent_at", startedAt)
        .bind("intent_from", from.wireName())
        .require("(SELECT count(*) FROM attempt_intent) = 1",
            "payment " + started.id() + " is no longer " + from.wireName());
    return statement.execute(db);
  }

  /** Whether the merchant has a payment with this id in this mode. */
  Mono<Boolean> exists(String merchantId, boolean livemode, String id) {
    return db.sql("SELECT 1 FROM payments WHERE merchant_id = :merchant AND id = :id AND livemode = :livemode")
        .bind("merchant", merchantId).bind("id", id).bind("livemode", livemode)
        .map(row -> 1).first().hasElement();
  }

  private Payment toPayment(Readable row) {
    CurrencyUnit currency = CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow();
    Integer score = row.get("risk_score", Integer.class);
    String[] reasons = row.get("risk_reasons", String[].class);
    String failureCode = row.get("failure_code", String.class);
    Long attempts = row.get("attempts", Long.class);
    Long captured = row.get("amount_captured_minor", Long.class);
    return new Payment(
        row.get("id", String.class),
        row.get("merchant_id", String.class),
        row.get("idempotency_key", String.class),
        PaymentStatus.fromWire(row.get("status", String.class)),
        new Money(row.get("amount_minor", Long.class), currency),
        new Money(row.get("fee_minor", Long.class), currency),
        row.get("reference", String.class),
        row.get("description", String.class),
        json.readValue(row.get("metadata", String.class), STRING_MAP),
        row.get("card_bin", String.class) == null ? null
            : new MaskedCard(row.get("card_brand", String.class), row.get("card_bin", String.class),
                row.get("card_last4", String.class), row.get("card_fingerprint", String.class)),
        row.get("mobile_operator", String.class) == null ? null
            : new MobileWallet(row.get("mobile_operator", String.class), row.get("msisdn", String.class)),
        row.get("provider", String.class),
        score == null ? null : new Payment.Risk(score, row.get("risk_decision", String.class),
            reasons == null ? List.of() : Arrays.asList(reasons), reasons != null && Arrays.asList(reasons).contains("velocity_unavailable")),
        failureCode == null ? null : new Payment.Failure(failureCode, row.get("failure_message", String.class)),
        attempts == null ? 0 : attempts.intValue(),
        row.get("created_at", Instant.class),
        row.get("updated_at", Instant.class),
        Payment.CaptureMethod.fromWire(row.get("capture_method", String.class)),
        captured == null ? null : new Money(captured, currency),
        row.get("cancellation_reason", String.class),
        Boolean.TRUE.equals(row.get("livemode", Boolean.class)),
        row.get("return_url", String.class));
  }
}
