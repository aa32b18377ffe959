package org.malipo.gateway.refund;

import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.time.Instant;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.ledger.Accounts;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Refund rows, and the payment facts a refund needs, scoped by merchant. */
@Component
final class RefundRepository {

  private final DatabaseClient db;

  RefundRepository(DatabaseClient db) {
    this.db = db;
  }

  /**
   * A captured payment as a refund sees it.
   *
   * @param amount captured amount, minor units
   * @param refunded amount already refunded or reserved by pending refunds, minor units
   * @param railReference the rail's id of the approved authorization, null if none
   * @param settledIn the currency its settlement converted it into, null when it was settled in
   *     its own currency or is not settled
   */
  record RefundablePayment(String id, String status, Money amount, long refunded, String provider,
      String railReference, boolean settled, String railReceipt, boolean livemode, CurrencyUnit settledIn) {}

  /**
   * Locks the merchant's payment row for the rest of the transaction, so refunds of one payment
   * are decided one at a time.
   *
   * @return empty when the merchant has no such payment
   */
  Mono<RefundablePayment> lockPayment(String merchantId, boolean livemode, String paymentId) {
    return db.sql("""
            SELECT p.id, p.status, COALESCE(p.amount_captured_minor, p.amount_minor) AS amount_minor, p.currency, p.refunded_minor,
                   p.provider, p.settled_at IS NOT NULL AS settled,
                   (SELECT a.rail_reference FROM payment_attempts a
                    WHERE a.payment_id = p.id AND a.outcome = 'approved' LIMIT 1) AS rail_reference,
                   (SELECT a.response_code FROM payment_attempts a
                    WHERE a.payment_id = p.id AND a.outcome = 'approved' LIMIT 1) AS rail_receipt,
                   (SELECT CASE WHEN e.fx_base = p.currency THEN e.fx_quote ELSE e.fx_base END FROM journal_entries e
                    WHERE e.payment_id = p.id AND e.kind = 'settlement' AND e.fx_rate IS NOT NULL) AS settled_in
            FROM payments p WHERE p.merchant_id = :merchant AND p.id = :id AND p.livemode = :livemode FOR UPDATE OF p""")
        .bind("merchant", merchantId)
        .bind("livemode", livemode)
        .bind("id", paymentId)
        .map(row -> new RefundablePayment(row.get("id", String.class), row.get("status", String.class),
            new Money(row.get("amount_minor", Long.class), CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow()),
            row.get("refunded_minor", Long.class), row.get("provider", String.class),
            row.get("rail_reference", String.class), Boolean.TRUE.equals(row.get("settled", Boolean.class)),
            row.get("rail_receipt", String.class), livemode,
            CurrencyUnit.fromCode(row.get("settled_in", String.class)).orElse(null)))
        .one();
  }

  /** Adds {@code deltaMinor} (negative to release) to the payment's refunded amount; the CHECK bounds it. */
  Mono<Void> addRefunded(String paymentId, long deltaMinor) {
    return db.sql("UPDATE payments SET refunded_minor = refunded_minor + :delta WHERE id = :id")
        .bind("delta", deltaMinor).bind("id", paymentId).then();
  }

  Mono<Void> insert(Refund r) {
    String currency = r.amount().currency().code();
    GenericExecuteSpec spec = db.sql("""
            INSERT INTO refunds (id, payment_id, merchant_id, idempotency_key, status, amount_minor, currency, reason,
                rail, debited_account, created_at, updated_at, livemode)
            VALUES (:id, :payment, :merchant, :key, :status, :amount, :currency, :reason, :rail, :account, :at, :at,
                :livemode)""")
        .bind("livemode", r.livemode())
        .bind("id", r.id()).bind("payment", r.paymentId()).bind("merchant", r.merchantId())
        .bind("key", r.idempotencyKey()).bind("status", r.status()).bind("amount", r.amount().amountMinor())
        .bind("currency", currency).bind("rail", r.rail())
        .bind("account", r.fromAvailable() ? Accounts.merchantAvailable(r.merchantId(), currency)
            : Accounts.merchantPending(r.merchantId(), currency))
        .bind("at", r.createdAt());
    spec = r.reason() == null ? spec.bindNull("reason", String.class) : spec.bind("reason", r.reason());
    return spec.then();
  }

  /** Records the rail's answer; guarded so a refund leaves {@code pending} once. */
  Mono<Void> resolve(Refund r) {
    GenericExecuteSpec spec = db.sql("""
            UPDATE refunds SET status = :status, rail_reference = :reference, failure_code = :code,
                failure_message = :message, updated_at = :at
            WHERE id = :id AND status = 'pending'""")
        .bind("id", r.id()).bind("status", r.status()).bind("at", r.updatedAt());
    spec = r.railReference() == null ? spec.bindNull("reference", String.class) : spec.bind("reference", r.railReference());
    spec = r.failureCode() == null ? spec.bindNull("code", String.class) : spec.bind("code", r.failureCode());
    spec = r.failureMessage() == null ? spec.bindNull("message", String.class) : spec.bind("message", r.failureMessage());
    return spec.fetch().rowsUpdated().flatMap(rows -> rows == 1 ? Mono.<Void>empty()
        : Mono.error(new IllegalStateException("refund " + r.id() + " was not pending")));
  }

  /**
   * A pending refund claimed for a check.
   *
   * @param authorization the acquirer's id of the captured authorization being refunded
   * @param statusChecks checks made so far, this one included
   */
  record PendingRefund(Refund refund, String authorization, int statusChecks, String receipt) {}

  /**
   * Claims pending refunds whose next check is due: the first {@code firstAfter} after their last
   * change, then with doubling intervals from {@code interval} (at most 64 times it). A guarded
   * update ({@code FOR UPDATE SKIP LOCKED}) pushes the next check out, so two instances never
   * check the same refund at once.
   */
  Flux<PendingRefund> claimPending(Duration firstAfter, Duration interval, int limit) {
    return db.sql("""
            UPDATE refunds r SET status_checks = r.status_checks + 1,
                next_status_check_at = now() + CAST(:intervalMs AS bigint) * power(2, LEAST(r.status_checks, 6))
                    * interval '1 millisecond'
            FROM (SELECT id FROM refunds
                  WHERE status = 'pending'
                    AND COALESCE(next_status_check_at, updated_at + CAST(:firstMs AS bigint) * interval '1 millisecond') <= now()
                  ORDER BY updated_at LIMIT :limit FOR UPDATE SKIP LOCKED) due
            WHERE r.id = due.id
            RETURNING r.*, r.debited_account LIKE '%:available:%' AS from_available,
                (SELECT a.rail_reference FROM payment_attempts a
                 WHERE a.payment_id = r.payment_id AND a.outcome = 'approved' LIMIT 1) AS authorization,
                (SELECT a.response_code FROM payment_attempts a
                 WHERE a.payment_id = r.payment_id AND a.outcome = 'approved' LIMIT 1) AS receipt""")
        .bind("intervalMs", interval.toMillis())
        .bind("firstMs", firstAfter.toMillis())
        .bind("limit", limit)
        .map(row -> new PendingRefund(toRefund(row), row.get("authorization", String.class),
            row.get("status_checks", Integer.class), row.get("receipt", String.class)))
        .all();
  }

  /** A pending refund by id with its capture's references (a rail's asynchronous result names it), or empty. */
  Mono<PendingRefund> findPending(String refundId) {
    return db.sql("""
            SELECT r.*, r.debited_account LIKE '%:available:%' AS from_available,
                (SELECT a.rail_reference FROM payment_attempts a
                 WHERE a.payment_id = r.payment_id AND a.outcome = 'approved' LIMIT 1) AS authorization,
                (SELECT a.response_code FROM payment_attempts a
                 WHERE a.payment_id = r.payment_id AND a.outcome = 'approved' LIMIT 1) AS receipt
            FROM refunds r WHERE r.id = :id AND r.status = 'pending'""")
        .bind("id", refundId)
        .map(row -> new PendingRefund(toRefund(row), row.get("authorization", String.class),
            row.get("status_checks", Integer.class), row.get("receipt", String.class)))
        .one();
  }

  /** Whether a refund with this id exists. */
  Mono<Boolean> exists(String refundId) {
    return db.sql("SELECT 1 FROM refunds WHERE id = :id").bind("id", refundId).map(row -> true).one()
        .defaultIfEmpty(false);
  }

  /** The refunds of one of the merchant's payments, newest first. */
  Flux<Refund> forPayment(String merchantId, boolean livemode, String paymentId) {
    return db.sql("""
            SELECT r.*, r.debited_account LIKE '%:available:%' AS from_available FROM refunds r
            WHERE r.merchant_id = :merchant AND r.payment_id = :payment AND r.livemode = :livemode
            ORDER BY r.id DESC LIMIT 100""")
        .bind("merchant", merchantId).bind("payment", paymentId).bind("livemode", livemode)
        .map(RefundRepository::toRefund)
        .all();
  }

  private static Refund toRefund(Readable row) {
    CurrencyUnit currency = CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow();
    return new Refund(row.get("id", String.class), row.get("payment_id", String.class), row.get("merchant_id", String.class),
        row.get("idempotency_key", String.class), row.get("status", String.class),
        new Money(row.get("amount_minor", Long.class), currency), row.get("reason", String.class),
        row.get("rail", String.class), row.get("rail_reference", String.class),
        Boolean.TRUE.equals(row.get("from_available", Boolean.class)), row.get("failure_code", String.class),
        row.get("failure_message", String.class), row.get("created_at", Instant.class), row.get("updated_at", Instant.class),
        Boolean.TRUE.equals(row.get("livemode", Boolean.class)));
  }
}
