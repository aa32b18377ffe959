package org.malipo.gateway.ledger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.Parameters;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.fx.FxConversion;
import org.malipo.gateway.fx.FxRate;
import org.malipo.gateway.fx.FxRates;
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
 *
 * <p>A merchant with a settlement currency other than the payment's
 * ({@code PUT /v1/merchants/{id}/settlement_schedule} {@code settlement_currency}) is settled in it:
 * the day's settlement fixes the latest rate when it opens, and each payment's one settlement entry
 * converts at it ({@link Ledger#postConvertedSettlement}). Without a rate the payment stays in
 * {@code pending} (gauge {@code malipo.settlement.fx.awaiting_rate}, a warning each pass) until one
 * is loaded: never settled unconverted, never at a guessed rate.
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
  private final FxRates fxRates;
  private final AtomicLong awaitingRate = new AtomicLong();

  SettlementJob(DatabaseClient db, Ledger ledger, FxRates fxRates, ReactiveTransactionManager transactionManager,
      MeterRegistry meters,
      @Value("${malipo.settlement.delay:1d}") Duration delay,
      @Value("${malipo.settlement.interval:30s}") Duration interval) {
    this.db = db;
    this.ledger = ledger;
    this.tx = TransactionalOperator.create(transactionManager);
    this.delay = delay;
    this.interval = interval;
    this.settled = meters.counter("malipo.settlement.payments");
    this.fxRates = fxRates;
    meters.gauge("malipo.settlement.fx.awaiting_rate", awaitingRate);
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
            SELECT p.id, p.merchant_id, p.currency, s.settlement_currency, COALESCE(p.amount_captured_minor, p.amount_minor) - p.fee_minor AS net,
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
                  END
              -- Settling into another currency needs a rate: without one the payment waits in
              -- pending (counted by reportAwaitingRate), never converted at a guessed rate.
              AND (s.settlement_currency IS NULL OR s.settlement_currency = p.currency
                   OR""" + " " + FxRates.rateExistsSql("p.currency", "s.settlement_currency") + ")" + merchantFilter + """

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
                CurrencyUnit.fromCode(trim(row.get("settlement_currency", String.class))).orElse(null),
                row.get("net", Long.class) - row.get("refunded_from_pending", Long.class)))
            .all())
        .concatMap(this::settle);
    return tx.transactional(batch).reduce(0, Integer::sum).doOnNext(settled::increment)
        .flatMap(count -> reportAwaitingRate().thenReturn(count));
  }

  /**
   * Counts the captured, unsettled payments that wait for a rate (due or not yet: their merchant
   * settles in another currency and no rate converts the pair): gauge
   * {@code malipo.settlement.fx.awaiting_rate} and a warning per pair.
   */
  private Mono<Void> reportAwaitingRate() {
    return db.sql("""
            SELECT p.currency, s.settlement_currency, count(*) AS payments
            FROM payments p JOIN merchant_settlement_schedules s ON s.merchant_id = p.merchant_id
            WHERE p.status = 'succeeded' AND p.settled_at IS NULL
              AND s.settlement_currency IS NOT NULL AND s.settlement_currency <> p.currency
              AND NOT""" + " " + FxRates.rateExistsSql("p.currency", "s.settlement_currency") + """

            GROUP BY p.currency, s.settlement_currency ORDER BY 1, 2 LIMIT 100""")
        .map(row -> {
          long payments = row.get("payments", Long.class);
          log.warn("settlement: {} payment(s) in {} wait for a {}/{} rate (malipo.fx.rates-file); they stay pending",
              payments, row.get("currency", String.class), row.get("currency", String.class),
              row.get("settlement_currency", String.class));
          return payments;
        })
        .all().reduce(0L, Long::sum)
        .doOnNext(awaitingRate::set)
        .then();
  }

  private static String trim(String code) {
    return code == null ? null : code.strip();
  }

  private Mono<Integer> settle(Due due) {
    return openSettlement(due)
        .flatMap(terms -> post(due, terms)
            .then(db.sql("UPDATE payments SET settled_at = now(), settlement_id = :settlement WHERE id = :id")
                .bind("id", due.paymentId()).bind("settlement", terms.id()).then())
            .thenReturn(1))
        // No settlement open yet and no rate to open one with (no rate row is ever deleted, so only
        // a clock edge): left for the next pass rather than settled unconverted.
        .defaultIfEmpty(0);
  }

  /**
   * The day's settlement of the payment's merchant and currency, opened by its first payment, which
   * fixes its settlement currency and the latest rate (so a whole settlement converts at one rate);
   * the rate is read only to open one. Empty when it converts and no rate is known.
   */
  private Mono<Terms> openSettlement(Due due) {
    boolean converts = due.settlementCurrency() != null && due.settlementCurrency() != due.currency();
    return terms(due).switchIfEmpty(Mono.defer(() -> (converts
            ? fxRates.latest(due.currency(), due.settlementCurrency()).map(Optional::of)
            : Mono.just(Optional.<FxRate>empty()))
        .flatMap(rate -> insertSettlement(due, rate.orElse(null)).then(terms(due)))));
  }

  private Mono<Void> insertSettlement(Due due, FxRate rate) {
    return db.sql("""
            INSERT INTO settlements (id, merchant_id, currency, settlement_date, settlement_currency, fx_base, fx_quote,
                fx_rate, fx_rate_as_of, fx_rate_source)
            VALUES (:id, :merchant, :currency, (now() AT TIME ZONE 'UTC')::date, :target, :base, :quote,
                CAST(:rate AS numeric), :as_of, :source)
            ON CONFLICT (merchant_id, currency, settlement_date) DO NOTHING""")
        .bind("id", org.malipo.gateway.common.Ids.next("stl")).bind("merchant", due.merchantId())
        .bind("currency", due.currency().code())
        .bind("target", nullable(rate == null ? null : due.settlementCurrency().code()))
        .bind("base", nullable(rate == null ? null : rate.base().code()))
        .bind("quote", nullable(rate == null ? null : rate.quote().code()))
        .bind("rate", rate == null ? Parameters.in(java.math.BigDecimal.class) : Parameters.in(rate.rate()))
        .bind("as_of", rate == null ? Parameters.in(java.time.OffsetDateTime.class)
            : Parameters.in(rate.asOf().atOffset(java.time.ZoneOffset.UTC)))
        .bind("source", nullable(rate == null ? null : rate.source()))
        .then();
  }

  /** The terms of today's settlement of the payment's merchant and currency; empty when none is open. */
  private Mono<Terms> terms(Due due) {
    return db.sql("""
            SELECT id, settlement_currency, fx_base, fx_quote, fx_rate, fx_rate_as_of, fx_rate_source FROM settlements
            WHERE merchant_id = :merchant AND currency = :currency AND settlement_date = (now() AT TIME ZONE 'UTC')::date""")
        .bind("merchant", due.merchantId()).bind("currency", due.currency().code())
        .map(row -> new Terms(row.get("id", String.class),
            CurrencyUnit.fromCode(trim(row.get("settlement_currency", String.class))).orElse(null),
            row.get("fx_rate") == null ? null : new FxRate(
                CurrencyUnit.fromCode(trim(row.get("fx_base", String.class))).orElseThrow(),
                CurrencyUnit.fromCode(trim(row.get("fx_quote", String.class))).orElseThrow(),
                row.get("fx_rate", java.math.BigDecimal.class), row.get("fx_rate_as_of", java.time.Instant.class),
                row.get("fx_rate_source", String.class))))
        .one();
  }

  /** Moves the payment's net from pending to available, converted at the settlement's rate if it has one. */
  private Mono<Void> post(Due due, Terms terms) {
    // Refunds of unsettled payments are taken from pending and may have used this payment's share:
    // never move more than pending holds (the merchant's total is right either way).
    return db.sql("SELECT balance_minor FROM ledger_accounts WHERE id = :id FOR UPDATE")
        .bind("id", Accounts.merchantPending(due.merchantId(), due.currency().code()))
        .map(row -> row.get("balance_minor", Long.class))
        .one()
        .defaultIfEmpty(0L)
        .flatMap(pending -> {
          long move = Math.min(due.toMoveMinor(), pending);
          if (move <= 0) {
            return Mono.<Void>empty();
          }
          if (terms.rate() == null) {
            return ledger.postSettlement(due.paymentId(), due.merchantId(), new Money(move, due.currency())).then();
          }
          return ledger.postConvertedSettlement(due.paymentId(), due.merchantId(),
              FxConversion.convert(move, due.currency(), terms.settlementCurrency(), terms.rate())).then();
        });
  }

  /** A settlement's id and, when it converts, its settlement currency and rate. */
  private record Terms(String id, CurrencyUnit settlementCurrency, FxRate rate) {}

  private static io.r2dbc.spi.Parameter nullable(String value) {
    return value == null ? Parameters.in(String.class) : Parameters.in(value);
  }

  /** A payment due; {@code settlementCurrency} is its merchant's (null: the charge currency). */
  private record Due(String paymentId, String merchantId, CurrencyUnit currency, CurrencyUnit settlementCurrency,
      long toMoveMinor) {}

  @Override
  protected Disposable launch() {
    return everyInterval(interval, log, "settlement pass", () -> settleDue(delay));
  }
}
