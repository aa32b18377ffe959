package org.malipo.gateway.ledger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Settlement: every {@code malipo.settlement.interval}, payments captured more than
 * {@code malipo.settlement.delay} ago move their net amount (captured amount − fee − refunds already taken
 * from {@code pending}) from the merchant's {@code pending} to {@code available} balance, with one
 * {@code settlement} journal entry each.
 *
 * <p>Safe with several instances: due payments are claimed with {@code FOR UPDATE SKIP LOCKED},
 * at most {@value #BATCH} per transaction, and {@code settled_at} is set in the same transaction;
 * a unique index allows one settlement entry per payment.
 */
@Component
public final class SettlementJob extends BackgroundJob {

  static final int BATCH = 200;

  private static final Logger log = LoggerFactory.getLogger(SettlementJob.class);

  private final DatabaseClient db;
  private final Ledger ledger;
  private final TransactionalOperator tx;
  private final Duration delay;
  private final Duration interval;
  private final Counter settled;

  SettlementJob(DatabaseClient db, Ledger ledger, ReactiveTransactionManager transactionManager, MeterRegistry meters,
      @Value("${malipo.settlement.delay:1d}") Duration delay,
      @Value("${malipo.settlement.interval:30s}") Duration interval) {
    this.db = db;
    this.ledger = ledger;
    this.tx = TransactionalOperator.create(transactionManager);
    this.delay = delay;
    this.interval = interval;
    this.settled = meters.counter("malipo.settlement.payments");
  }

  /**
   * Settles one batch of payments captured before {@code now − capturedBefore}.
   *
   * @param capturedBefore how long ago a payment must have been captured
   * @return how many payments were settled
   */
  public Mono<Integer> settleDue(Duration capturedBefore) {
    return settle(capturedBefore, null);
  }

  /**
   * Settles one batch of one merchant's payments captured before {@code now − capturedBefore}
   * (an operator's "settle now", and tests).
   *
   * @return how many payments were settled
   */
  public Mono<Integer> settleDue(Duration capturedBefore, String merchantId) {
    return settle(capturedBefore, merchantId);
  }

  private Mono<Integer> settle(Duration capturedBefore, String merchantId) {
    String merchantFilter = merchantId == null ? "" : " AND p.merchant_id = :merchant";
    DatabaseClient.GenericExecuteSpec due = db.sql("""
            SELECT p.id, p.merchant_id, p.currency, COALESCE(p.amount_captured_minor, p.amount_minor) - p.fee_minor AS net,
                   coalesce((SELECT sum(r.amount_minor) FROM refunds r
                             WHERE r.payment_id = p.id AND r.status <> 'failed' AND r.debited_account LIKE '%:pending:%'), 0)
                       AS refunded_from_pending
            FROM payments p
            LEFT JOIN merchant_settlement_schedules s ON s.merchant_id = p.merchant_id
            WHERE p.status = 'succeeded' AND p.settled_at IS NULL
              -- A merchant's schedule (daily, T+N) replaces the configured delay: captured N UTC
              -- days before today or earlier.
              AND CASE WHEN s.delay_days IS NULL THEN p.updated_at < now() - make_interval(secs => :seconds)
                       ELSE p.updated_at < date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                                           - make_interval(days => s.delay_days - 1)
                  END""" + merchantFilter + """

            ORDER BY p.updated_at LIMIT :batch FOR UPDATE OF p SKIP LOCKED""")
        .bind("seconds", (double) capturedBefore.toMillis() / 1000.0)
        .bind("batch", BATCH);
    if (merchantId != null) {
      due = due.bind("merchant", merchantId);
    }
    // A batch never waits long behind another transaction's row lock: it fails and the next
    // interval retries it.
    Flux<Integer> batch = db.sql("SET LOCAL lock_timeout = '5s'").then()
        .thenMany(due.map(row -> new Due(row.get("id", String.class), row.get("merchant_id", String.class),
                CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow(),
                row.get("net", Long.class) - row.get("refunded_from_pending", Long.class)))
            .all())
        .concatMap(this::settle);
    return tx.transactional(batch).reduce(0, Integer::sum).doOnNext(settled::increment);
  }

  private Mono<Integer> settle(Due due) {
    // Refunds of unsettled payments are taken from pending and may have used this payment's share:
    // never move more than pending holds (the merchant's total is right either way).
    return db.sql("SELECT balance_minor FROM ledger_accounts WHERE id = :id FOR UPDATE")
        .bind("id", Accounts.merchantPending(due.merchantId(), due.currency().code()))
        .map(row -> row.get("balance_minor", Long.class))
        .one()
        .defaultIfEmpty(0L)
        .flatMap(pending -> {
          long move = Math.min(due.toMoveMinor(), pending);
          return move > 0
              ? ledger.postSettlement(due.paymentId(), due.merchantId(), new Money(move, due.currency())).then()
              : Mono.<Void>empty();
        })
        // The day's settlement of this merchant and currency (created by its first payment).
        .then(db.sql("""
                INSERT INTO settlements (id, merchant_id, currency, settlement_date)
                VALUES (:id, :merchant, :currency, (now() AT TIME ZONE 'UTC')::date)
                ON CONFLICT (merchant_id, currency, settlement_date) DO NOTHING""")
            .bind("id", org.malipo.gateway.common.Ids.next("stl")).bind("merchant", due.merchantId())
            .bind("currency", due.currency().code()).then())
        .then(db.sql("""
                UPDATE payments SET settled_at = now(),
                       settlement_id = (SELECT id FROM settlements WHERE merchant_id = :merchant AND currency = :currency
                                        AND settlement_date = (now() AT TIME ZONE 'UTC')::date)
                WHERE id = :id""")
            .bind("id", due.paymentId()).bind("merchant", due.merchantId()).bind("currency", due.currency().code()).then())
        .thenReturn(1);
  }

  private record Due(String paymentId, String merchantId, CurrencyUnit currency, long toMoveMinor) {}

  @Override
  protected Disposable launch() {
    return everyInterval(interval, log, "settlement pass", () -> settleDue(delay));
  }
}
