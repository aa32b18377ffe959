package org.malipo.gateway.callback;

import java.time.Instant;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.ledger.Ledger;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Operator-visible exceptions (table {@code payment_exceptions}): what the reconciler could not
 * settle by itself within its window, listed by {@code GET /v1/exceptions} (docs/adr/0065). At most
 * one open case per payment and kind. An unconfirmed success moves the payment's amount to
 * suspense while the case is open (INVARIANTS.md 11); an attempt whose outcome stayed unknown
 * moves nothing (no rail reported money).
 */
@Component
final class ExceptionCases {

  /** Kinds of exception, as stored. */
  enum Kind {
    /** A rail reported a success that its status query never confirmed. */
    UNCONFIRMED_SUCCESS,
    /** A rail attempt whose outcome no status query could learn. */
    UNKNOWN_ATTEMPT,
    /** A refund whose rail answer stayed unknown. */
    UNKNOWN_REFUND;

    String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * One case as listed.
   *
   * @param amount minor units, with {@code currency}
   * @param suspenseEntry the journal entry that moved the amount to suspense, or null
   * @param resolvedAt null while open
   */
  record Case(String id, String kind, String paymentId, String refundId, String merchantId, String rail, long amount, String currency,
      String detail, String suspenseEntry, Instant openedAt, Instant resolvedAt, Resolution resolution) {}

  /**
   * What reconciliation (issue 23) holds for a case and how an operator resolved it.
   *
   * @param suspenseMinor held in suspense, signed (credit positive), minor units
   * @param clearingMinor what the rail did not report, left at its clearing account, minor units, signed:
   *     positive for a payment (a receivable), negative for a payout or refund (ADR 0085)
   * @param evidence JSON object text, or null
   * @param action null while open (or for cases closed before issue 23)
   */
  record Resolution(long suspenseMinor, long clearingMinor, String runId, String evidence, String action, String note,
      String entry, String resolvedBy) {}

  static final String COLUMNS = """
      id, kind, payment_id, refund_id, merchant_id, rail, amount_minor, currency, detail, suspense_entry, opened_at, resolved_at,
      suspense_minor, clearing_minor, reconciliation_run_id, CAST(evidence AS text) AS evidence, resolution, resolution_note,
      resolution_entry, resolved_by""";

  static Case read(io.r2dbc.spi.Readable row) {
    return new Case(row.get("id", String.class), row.get("kind", String.class),
        row.get("payment_id", String.class), row.get("refund_id", String.class), row.get("merchant_id", String.class), row.get("rail", String.class),
        row.get("amount_minor", Long.class), row.get("currency", String.class), row.get("detail", String.class),
        row.get("suspense_entry", String.class), row.get("opened_at", Instant.class), row.get("resolved_at", Instant.class),
        new Resolution(row.get("suspense_minor", Long.class), row.get("clearing_minor", Long.class),
            row.get("reconciliation_run_id", String.class), row.get("evidence", String.class),
            row.get("resolution", String.class), row.get("resolution_note", String.class),
            row.get("resolution_entry", String.class), row.get("resolved_by", String.class)));
  }

  private final DatabaseClient db;
  private final Ledger ledger;

  ExceptionCases(DatabaseClient db, Ledger ledger) {
    this.db = db;
    this.ledger = ledger;
  }

  /**
   * Opens an unconfirmed-success case for the payment and moves its amount to suspense, in the
   * caller's transaction; nothing when one is open already.
   */
  Mono<Void> openUnconfirmedSuccess(String paymentId, String rail, String detail) {
    return open(Kind.UNCONFIRMED_SUCCESS, paymentId, rail, detail).flatMap(opened ->
        ledger.postSuspense(paymentId, rail, opened.amount())
            .flatMap(entry -> db.sql("UPDATE payment_exceptions SET suspense_entry = :entry, suspense_minor = amount_minor WHERE id = :id")
                .bind("entry", entry).bind("id", opened.id()).then()));
  }

  /** Opens an unknown-attempt case for the payment; nothing when one is open already. */
  Mono<Void> openUnknownAttempt(String paymentId, String rail, String detail) {
    return open(Kind.UNKNOWN_ATTEMPT, paymentId, rail, detail).then();
  }

  /** Opens an unknown-refund case; nothing when one is open already. No money moves. */
  Mono<Void> openUnknownRefund(String refundId, String paymentId, String rail, String detail) {
    return db.sql("""
            INSERT INTO payment_exceptions (id, kind, payment_id, refund_id, merchant_id, rail, amount_minor, currency, detail)
            SELECT :id, 'unknown_refund', r.payment_id, r.id, r.merchant_id, :rail, r.amount_minor, r.currency, :detail
            FROM refunds r WHERE r.id = :refund AND r.payment_id = :payment
            ON CONFLICT DO NOTHING""")
        .bind("id", Ids.next("exc")).bind("refund", refundId).bind("payment", paymentId).bind("rail", rail)
        .bind("detail", detail)
        .then();
  }

  private record Opened(String id, Money amount) {}

  private Mono<Opened> open(Kind kind, String paymentId, String rail, String detail) {
    String id = Ids.next("exc");
    return db.sql("""
            INSERT INTO payment_exceptions (id, kind, payment_id, merchant_id, rail, amount_minor, currency, detail)
            SELECT :id, :kind, p.id, p.merchant_id, :rail, p.amount_minor, p.currency, :detail
            FROM payments p WHERE p.id = :payment
            ON CONFLICT DO NOTHING
            RETURNING amount_minor, currency""")
        .bind("id", id).bind("kind", kind.wireName()).bind("payment", paymentId).bind("rail", rail).bind("detail", detail)
        .map(row -> new Opened(id, new Money(row.get("amount_minor", Long.class),
            CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow())))
        .one();
  }

  /**
   * One page of cases, newest first.
   *
   * @param limit rows to fetch
   * @param startingAfter the last id of the previous page, or null
   * @param open true: open cases only; false: resolved only; null: all
   */
  Flux<Case> page(int limit, String startingAfter, Boolean open) {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM payment_exceptions WHERE true");
    if (startingAfter != null) {
      sql.append(" AND id < :after");
    }
    if (open != null) {
      sql.append(open ? " AND resolved_at IS NULL" : " AND resolved_at IS NOT NULL");
    }
    sql.append(" ORDER BY id DESC LIMIT :limit");
    GenericExecuteSpec spec = db.sql(sql.toString()).bind("limit", limit);
    if (startingAfter != null) {
      spec = spec.bind("after", startingAfter);
    }
    return spec.map(ExceptionCases::read).all();
  }
}
