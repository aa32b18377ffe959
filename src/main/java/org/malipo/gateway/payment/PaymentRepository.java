package org.malipo.gateway.payment;

import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.RailOutcome;
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
      + " (SELECT count(*) FROM payment_attempts a WHERE a.payment_id = p.id) AS attempts";

  private final DatabaseClient db;
  private final JsonMapper json;

  PaymentRepository(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /** Inserts a new payment (status {@code processing}). */
  Mono<Void> insert(Payment p) {
    GenericExecuteSpec spec = db.sql("""
        INSERT INTO payments (id, merchant_id, idempotency_key, status, amount_minor, currency, fee_minor,
            reference, description, metadata, method_type, card_brand, card_bin, card_last4, card_fingerprint,
            mobile_operator, msisdn, created_at, updated_at)
        VALUES (:id, :merchant, :key, :status, :amount, :currency, 0, :reference, :description,
            CAST(:metadata AS jsonb), :method, :brand, :bin, :last4, :fingerprint, :operator, :msisdn, :created, :created)""")
        .bind("id", p.id())
        .bind("merchant", p.merchantId())
        .bind("key", p.idempotencyKey())
        .bind("status", p.status().wireName())
        .bind("amount", p.amount().amountMinor())
        .bind("currency", p.amount().currency().code())
        .bind("metadata", json.writeValueAsString(p.metadata()))
        .bind("method", p.card() != null ? "card" : "mobile_money")
        .bind("created", p.createdAt());
    MaskedCard card = p.card();
    spec = bindNullable(spec, "brand", card == null ? null : card.brand());
    spec = bindNullable(spec, "bin", card == null ? null : card.bin());
    spec = bindNullable(spec, "last4", card == null ? null : card.last4());
    spec = bindNullable(spec, "fingerprint", card == null ? null : card.fingerprint());
    spec = bindNullable(spec, "operator", p.wallet() == null ? null : p.wallet().operator());
    spec = bindNullable(spec, "msisdn", p.wallet() == null ? null : p.wallet().msisdn());
    spec = bindNullable(spec, "reference", p.reference());
    spec = bindNullable(spec, "description", p.description());
    return spec.then();
  }

  /**
   * Writes the new status, provider, risk, failure and fee, guarded by the previous status so
   * two writers can never both move the same payment (the state machine holds in the database).
   *
   * @return error {@link IllegalStateException} if the payment was not in {@code previous}
   */
  Mono<Void> updateOutcome(Payment p, PaymentStatus previous) {
    GenericExecuteSpec spec = db.sql("""
        UPDATE payments SET status = :status, provider = :provider, fee_minor = :fee, risk_score = :score,
            risk_decision = :decision, risk_reasons = :reasons, failure_code = :failureCode,
            failure_message = :failureMessage, updated_at = :updated
        WHERE id = :id AND status = :previous""")
        .bind("id", p.id())
        .bind("status", p.status().wireName())
        .bind("previous", previous.wireName())
        .bind("fee", p.fee().amountMinor())
        .bind("updated", p.updatedAt());
    spec = bindNullable(spec, "provider", p.provider());
    Payment.Risk risk = p.risk();
    spec = risk == null
        ? spec.bindNull("score", Integer.class).bindNull("decision", String.class).bind("reasons", new String[0])
        : spec.bind("score", risk.score()).bind("decision", risk.decision()).bind("reasons", risk.reasons().toArray(String[]::new));
    Payment.Failure failure = p.failure();
    spec = bindNullable(spec, "failureCode", failure == null ? null : failure.code());
    spec = bindNullable(spec, "failureMessage", failure == null ? null : failure.message());
    return spec.fetch().rowsUpdated().flatMap(rows -> rows == 1 ? Mono.<Void>empty()
        : Mono.error(new IllegalStateException("payment " + p.id() + " was not " + previous.wireName())));
  }

  /** Records rail attempts; a rail reference can belong to one attempt only. */
  Mono<Void> insertAttempts(List<PaymentAttempt> attempts) {
    return Flux.fromIterable(attempts).concatMap(a -> {
      GenericExecuteSpec spec = db.sql("""
          INSERT INTO payment_attempts (id, payment_id, rail, outcome, rail_reference, response_code, failure_code,
              started_at, latency_ms)
          VALUES (:id, :payment, :rail, :outcome, :reference, :responseCode, :failureCode, :started, :latency)""")
          .bind("id", a.id())
          .bind("payment", a.paymentId())
          .bind("rail", a.rail())
          .bind("outcome", a.outcome())
          .bind("started", a.startedAt())
          .bind("latency", a.latencyMs());
      spec = bindNullable(spec, "reference", a.railReference());
      spec = bindNullable(spec, "responseCode", a.responseCode());
      spec = bindNullable(spec, "failureCode", a.failureCode());
      return spec.then();
    }).then();
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
  Flux<Payment> page(String merchantId, int limit, String startingAfter, PaymentStatus status, String idempotencyKey) {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM payments p WHERE p.merchant_id = :merchant");
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
    GenericExecuteSpec spec = db.sql(sql.toString()).bind("merchant", merchantId).bind("limit", limit);
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

  /**
   * Stores a rail's later final answer on the attempt that was pending or unknown (callback or
   * status query); an unknown attempt also gets the rail's reference from the answer.
   */
  Mono<Void> recordAttemptOutcome(String attemptId, RailOutcome outcome) {
    GenericExecuteSpec spec = switch (outcome) {
      case RailOutcome.Approved a -> bindNullable(db.sql("UPDATE payment_attempts SET outcome = 'approved', "
          + "response_code = :code, failure_code = NULL, rail_reference = COALESCE(rail_reference, :reference) "
          + "WHERE id = :id").bind("code", a.responseCode()), "reference", a.railReference());
      case RailOutcome.Declined d -> bindNullable(bindNullable(db.sql("UPDATE payment_attempts SET outcome = 'declined', "
          + "response_code = :code, failure_code = :failure, rail_reference = COALESCE(rail_reference, :reference) "
          + "WHERE id = :id"), "code", d.responseCode()).bind("failure", d.failureCode()), "reference", d.railReference());
      case RailOutcome.NotAttempted n -> db.sql("UPDATE payment_attempts SET outcome = 'not_attempted' WHERE id = :id");
      default -> throw new IllegalArgumentException("not final: " + outcome);
    };
    return spec.bind("id", attemptId).then();
  }

  /** Whether the merchant has a payment with this id. */
  Mono<Boolean> exists(String merchantId, String id) {
    return db.sql("SELECT 1 FROM payments WHERE merchant_id = :merchant AND id = :id")
        .bind("merchant", merchantId).bind("id", id)
        .map(row -> 1).first().hasElement();
  }

  private Payment toPayment(Readable row) {
    CurrencyUnit currency = CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow();
    Integer score = row.get("risk_score", Integer.class);
    String[] reasons = row.get("risk_reasons", String[].class);
    String failureCode = row.get("failure_code", String.class);
    Long attempts = row.get("attempts", Long.class);
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
        row.get("updated_at", Instant.class));
  }

  private static GenericExecuteSpec bindNullable(GenericExecuteSpec spec, String name, String value) {
    return value == null ? spec.bindNull(name, String.class) : spec.bind(name, value);
  }
}
