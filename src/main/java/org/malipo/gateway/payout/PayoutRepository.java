package org.malipo.gateway.payout;

import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Payout rows, scoped by merchant for every read a merchant makes. */
@Component
final class PayoutRepository {

  private static final TypeReference<Map<String, String>> METADATA = new TypeReference<>() {};

  private final DatabaseClient db;
  private final JsonMapper json;

  PayoutRepository(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  Mono<Void> insert(Payout p) {
    GenericExecuteSpec spec = db.sql("""
            INSERT INTO payouts (id, merchant_id, idempotency_key, status, amount_minor, fee_minor, currency, rail,
                msisdn, recipient_name, reference, description, metadata, livemode, created_at, updated_at)
            VALUES (:id, :merchant, :key, :status, :amount, :fee, :currency, :rail, :msisdn, :name, :reference,
                :description, :metadata, :livemode, :at, :at)""")
        .bind("id", p.id()).bind("merchant", p.merchantId()).bind("key", p.idempotencyKey())
        .bind("status", p.status()).bind("amount", p.amount().amountMinor()).bind("fee", p.fee().amountMinor())
        .bind("currency", p.amount().currency().code()).bind("rail", p.rail()).bind("msisdn", p.msisdn())
        .bind("metadata", json.writeValueAsString(p.metadata() == null ? Map.of() : p.metadata()))
        .bind("livemode", p.livemode()).bind("at", p.createdAt());
    spec = nullable(spec, "name", p.recipientName());
    spec = nullable(spec, "reference", p.reference());
    spec = nullable(spec, "description", p.description());
    return spec.then();
  }

  /**
   * What the merchant paid out (pending and succeeded) on a rail in a currency since {@code since},
   * after taking a transaction-scoped lock on that triple, so two concurrent payouts cannot both
   * pass the daily limit. Must run inside the caller's transaction.
   *
   * @return minor units
   */
  Mono<Long> lockAndSumSince(String merchantId, String rail, String currency, Instant since) {
    return db.sql("SELECT pg_advisory_xact_lock(hashtext('payout-limit:' || :merchant || ':' || :rail || ':' || :currency))")
        .bind("merchant", merchantId).bind("rail", rail).bind("currency", currency)
        .map((row, meta) -> 1).first()
        .then(db.sql("""
                SELECT CAST(COALESCE(sum(amount_minor), 0) AS bigint) AS total FROM payouts
                WHERE merchant_id = :merchant AND rail = :rail AND currency = :currency AND created_at >= :since
                  AND status <> 'failed'""")
            .bind("merchant", merchantId).bind("rail", rail).bind("currency", currency).bind("since", since)
            .map(row -> row.get("total", Long.class)).one());
  }

  /** The merchant's payout, or empty. */
  Mono<Payout> find(String merchantId, boolean livemode, String id) {
    return db.sql("SELECT * FROM payouts WHERE merchant_id = :merchant AND id = :id AND livemode = :livemode")
        .bind("merchant", merchantId).bind("id", id).bind("livemode", livemode).map(this::toPayout).one();
  }

  /** Any payout by id (rail results, the reconciler), or empty. */
  Mono<Payout> findById(String id) {
    return db.sql("SELECT * FROM payouts WHERE id = :id").bind("id", id).map(this::toPayout).one();
  }

  Mono<Boolean> exists(String merchantId, boolean livemode, String id) {
    return db.sql("SELECT 1 FROM payouts WHERE merchant_id = :merchant AND id = :id AND livemode = :livemode")
        .bind("merchant", merchantId).bind("id", id).bind("livemode", livemode).map(row -> true).one().defaultIfEmpty(false);
  }

  /** A page of the merchant's payouts, newest first (ids sort by creation time). */
  Flux<Payout> page(String merchantId, boolean livemode, int limit, String startingAfter, String status) {
    GenericExecuteSpec spec = db.sql("""
            SELECT * FROM payouts WHERE merchant_id = :merchant AND livemode = :livemode
              AND (CAST(:after AS text) IS NULL OR id < :after)
              AND (CAST(:status AS text) IS NULL OR status = :status)
            ORDER BY id DESC LIMIT :limit""")
        .bind("merchant", merchantId).bind("limit", limit).bind("livemode", livemode);
    spec = nullable(spec, "after", startingAfter);
    spec = nullable(spec, "status", status);
    return spec.map(this::toPayout).all();
  }

  /**
   * Records a final status, guarded so a payout leaves {@code pending} once.
   *
   * @return true when this call changed it; false when it was already final
   */
  Mono<Boolean> resolve(Payout p) {
    GenericExecuteSpec spec = db.sql("""
            UPDATE payouts SET status = :status, rail_reference = COALESCE(:reference, rail_reference),
                rail_receipt = :receipt, failure_code = :code, failure_message = :message, updated_at = :at
            WHERE id = :id AND status = 'pending'""")
        .bind("id", p.id()).bind("status", p.status()).bind("at", p.updatedAt());
    spec = nullable(spec, "reference", p.railReference());
    spec = nullable(spec, "receipt", p.receipt());
    spec = nullable(spec, "code", p.failureCode());
    spec = nullable(spec, "message", p.failureMessage());
    return spec.fetch().rowsUpdated().map(rows -> rows == 1);
  }

  /** Keeps the rail's reference of a pending payout, once it is known. */
  Mono<Void> railReference(String id, String railReference) {
    return db.sql("UPDATE payouts SET rail_reference = :reference WHERE id = :id AND status = 'pending'"
            + " AND rail_reference IS NULL")
        .bind("id", id).bind("reference", railReference).then();
  }

  /** Brings a pending payout's next status query forward to now (a queue timeout, a MoMo callback). */
  Mono<Void> checkSoon(String id) {
    return db.sql("UPDATE payouts SET next_status_check_at = now() WHERE id = :id AND status = 'pending'")
        .bind("id", id).then();
  }

  /**
   * Claims pending payouts whose next status query is due: the first {@code firstAfter} after their
   * creation, then with doubling intervals from {@code interval} (at most 64 times it). The update
   * pushes the next check out ({@code FOR UPDATE SKIP LOCKED}), so two instances never query the
   * same payout at once.
   */
  Flux<Payout> claimDue(Duration firstAfter, Duration interval, int limit) {
    return db.sql("""
            UPDATE payouts p SET status_checks = p.status_checks + 1,
                next_status_check_at = now() + CAST(:intervalMs AS bigint) * power(2, LEAST(p.status_checks, 6))
                    * interval '1 millisecond'
            FROM (SELECT id FROM payouts
                  WHERE status = 'pending'
                    AND COALESCE(next_status_check_at, created_at + CAST(:firstMs AS bigint) * interval '1 millisecond') <= now()
                  ORDER BY updated_at LIMIT :limit FOR UPDATE SKIP LOCKED) due
            WHERE p.id = due.id
            RETURNING p.*""")
        .bind("intervalMs", interval.toMillis())
        .bind("firstMs", firstAfter.toMillis())
        .bind("limit", limit)
        .map(this::toPayout)
        .all();
  }

  /**
   * Stores a rail result as received, with the verdict it got (the callback inbox, INVARIANTS.md
   * 10); rows are born with their verdict, so the payment callback processor never claims them.
   */
  Mono<Void> storeResult(String rail, String referenceHint, byte[] body, String verdict, String detail) {
    GenericExecuteSpec spec = db.sql("""
            INSERT INTO inbox (rail, reference_hint, body, verdict, verdict_detail, processed_at)
            VALUES (:rail, :hint, :body, :verdict, :detail, now())""")
        .bind("rail", rail)
        .bind("body", new String(body, java.nio.charset.StandardCharsets.UTF_8).replace("\u0000", "\uFFFD"))
        .bind("verdict", verdict)
        .bind("detail", detail.length() > 500 ? detail.substring(0, 500) : detail);
    return nullable(spec, "hint", referenceHint).then();
  }

  private Payout toPayout(Readable row) {
    CurrencyUnit currency = CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow();
    String metadata = row.get("metadata", String.class);
    String rail = row.get("rail", String.class);
    return new Payout(row.get("id", String.class), row.get("merchant_id", String.class),
        row.get("idempotency_key", String.class), row.get("status", String.class),
        new Money(row.get("amount_minor", Long.class), currency), new Money(row.get("fee_minor", Long.class), currency),
        rail, rail, row.get("msisdn", String.class), row.get("recipient_name", String.class),
        row.get("reference", String.class), row.get("description", String.class),
        metadata == null ? Map.of() : json.readValue(metadata, METADATA),
        Boolean.TRUE.equals(row.get("livemode", Boolean.class)), row.get("rail_reference", String.class),
        row.get("rail_receipt", String.class), row.get("failure_code", String.class),
        row.get("failure_message", String.class), row.get("created_at", Instant.class),
        row.get("updated_at", Instant.class));
  }

  private static GenericExecuteSpec nullable(GenericExecuteSpec spec, String name, String value) {
    return value == null ? spec.bindNull(name, String.class) : spec.bind(name, value);
  }
}
