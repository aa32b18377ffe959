package org.malipo.gateway.payout;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.malipo.gateway.audit.AuditContext;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.ledger.Accounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pays a merchant's available balance out when its settlement is made (issue 23): for each of
 * today's settlements whose merchant has a payout destination on file
 * ({@code PUT /v1/merchants/{id}/settlement_schedule}) and that has no payout yet, the largest
 * amount whose amount + fee fits the available balance (whole shillings for M-Pesa, within the
 * rail's limits) goes out through the payouts API ({@link PayoutService#create}) under the
 * idempotency key {@code settlement:{stl_…}}, so a retry after a crash replays the same payout.
 * A converting settlement pays out in its settlement currency, from that currency's balance.
 * {@value #BATCH} settlements a pass, one at a time. Money settled later the same day waits for
 * the next day's settlement.
 */
@Component
final class SettlementPayouts extends BackgroundJob {

  static final int BATCH = 20;

  private static final Logger log = LoggerFactory.getLogger(SettlementPayouts.class);

  private final DatabaseClient db;
  private final PayoutService payouts;
  private final PayoutProperties properties;
  private final JsonMapper json;
  private final Duration interval;

  SettlementPayouts(DatabaseClient db, PayoutService payouts, PayoutProperties properties, JsonMapper json,
      @Value("${malipo.settlement.interval:30s}") Duration interval) {
    this.db = db;
    this.payouts = payouts;
    this.properties = properties;
    this.json = json;
    this.interval = interval;
  }

  @Override
  protected Disposable launch() {
    return everyInterval(interval, log, "settlement payouts pass", this::payOut);
  }

  private record Due(String settlementId, String merchantId, String currency, String operator, String msisdn, String name,
      long available) {}

  /** One pass; emits how many payouts were created or found. */
  Mono<Long> payOut() {
    return db.sql("""
            SELECT s.id, s.merchant_id, coalesce(s.settlement_currency, s.currency) AS currency, d.payout_operator, d.payout_msisdn, d.payout_name,
                   coalesce(a.balance_minor, 0) AS available
            FROM settlements s
            JOIN merchant_settlement_schedules d ON d.merchant_id = s.merchant_id AND d.payout_operator IS NOT NULL
            -- A converting settlement pays out in its settlement currency.
            LEFT JOIN ledger_accounts a ON a.id = 'merchant:' || s.merchant_id || ':available:'
                || coalesce(s.settlement_currency, s.currency)
            WHERE s.payout_id IS NULL AND s.settlement_date = (now() AT TIME ZONE 'UTC')::date
            ORDER BY s.id LIMIT :batch""")
        .bind("batch", BATCH)
        .map(row -> new Due(row.get("id", String.class), row.get("merchant_id", String.class),
            row.get("currency", String.class).strip(), row.get("payout_operator", String.class),
            row.get("payout_msisdn", String.class), row.get("payout_name", String.class), row.get("available", Long.class)))
        .all()
        .concatMap(this::payOut)
        .count();
  }

  private Mono<String> payOut(Due due) {
    PayoutProperties.Limits limits = "mpesa".equals(due.operator()) ? properties.mpesa() : properties.mtnMomo();
    long amount = largestAmount(due, limits);
    if (amount < limits.minAmountMinor()) {
      return Mono.empty();
    }
    Map<String, Object> destination = new java.util.LinkedHashMap<>();
    destination.put("type", "mobile_money");
    destination.put("operator", due.operator());
    destination.put("msisdn", due.msisdn());
    if (due.name() != null) {
      destination.put("name", due.name());
    }
    byte[] body = json.writeValueAsBytes(Map.of("amount", amount, "currency", due.currency(), "destination", destination,
        "reference", due.settlementId(), "description", "Settlement " + due.settlementId()));
    Principal principal = new Principal("settlement", due.merchantId(), Set.of(Principal.PAYOUTS_WRITE));
    AuditContext context = new AuditContext("settlement", due.merchantId(), null, null);
    return payouts.create(principal, context, "settlement:" + due.settlementId(), body)
        .flatMap(answer -> {
          if (answer.status() != 201) {
            log.warn("settlement {}: payout of {} {} refused ({}): {}", due.settlementId(), amount, due.currency(),
                answer.status(), answer.body());
            return Mono.empty();
          }
          String payoutId = json.readTree(answer.body()).path("id").asString();
          return db.sql("UPDATE settlements SET payout_id = :payout WHERE id = :id AND payout_id IS NULL")
              .bind("payout", payoutId).bind("id", due.settlementId()).then().thenReturn(payoutId);
        })
        .onErrorResume(error -> {
          log.warn("settlement {}: payout failed, retried next pass: {}", due.settlementId(), error.toString());
          return Mono.empty();
        });
  }

  /**
   * The largest amount, minor units, with amount + fee ≤ the available balance, within the rail's
   * maximum, in whole shillings for M-Pesa (the fee as {@link PayoutService#feeOf} computes it).
   */
  private long largestAmount(Due due, PayoutProperties.Limits limits) {
    CurrencyUnit currency = CurrencyUnit.fromCode(due.currency()).orElseThrow();
    long step = "mpesa".equals(due.operator()) ? 100 : 1;
    long amount = Math.min(due.available(), limits.maxAmountMinor());
    amount -= amount % step;
    // Fees grow with the amount: step down until amount + fee fits (bounded: the fee is at most
    // 100 % + fixed, so at most a few thousand steps of 1 % of the balance).
    long decrement = Math.max(step, (amount / 1_000) / step * step);
    int guard = 0;
    while (amount > 0 && guard++ < 10_000) {
      long fee = payouts.feeOf(due.merchantId(), new org.malipo.gateway.common.Money(amount, currency), limits).amountMinor();
      if (Math.addExact(amount, fee) <= due.available()) {
        break;
      }
      amount -= decrement;
    }
    // Then up again by the rail's step while the next amount still fits (at most decrement / step steps).
    for (int i = 0; amount > 0 && i < decrement / step; i++) {
      long next = Math.min(amount + step, limits.maxAmountMinor());
      long fee = payouts.feeOf(due.merchantId(), new org.malipo.gateway.common.Money(next, currency), limits).amountMinor();
      if (next == amount || Math.addExact(next, fee) > due.available()) {
        break;
      }
      amount = next;
    }
    return Math.max(0, amount);
  }
}
