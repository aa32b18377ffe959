package org.malipo.gateway.merchant;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.common.Money;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Merchants' own rates (table {@code merchant_pricing}, issue 23), read by the payment core's fee
 * schedule and by payouts. Fees are computed inside a payment's outcome decision, which does no
 * I/O, so the rates are served from a snapshot of the table that every instance reloads every
 * {@code malipo.pricing.refresh-interval} (default 2 s) and that a {@link #put} on this instance
 * updates at once: a change reaches every instance within that interval (docs/adr/0088).
 * At most {@value #MAX_ROWS} rows are loaded.
 */
@Component
public final class MerchantPricing extends BackgroundJob {

  /** Rows the snapshot holds at most (merchants × methods × currencies). */
  static final int MAX_ROWS = 200_000;
  /** The currency key of a rate for every currency without one of its own. */
  public static final String ANY_CURRENCY = "*";

  private static final Logger log = LoggerFactory.getLogger(MerchantPricing.class);

  /** A payment method's pricing line. */
  public enum Method {
    CARD, MOBILE_MONEY, PAYOUTS;

    /** {@code card}, {@code mobile_money}, {@code payouts}. */
    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * A rate.
   *
   * @param percentBp basis points of the amount, 0–10,000, rounded half-up
   * @param fixedMinor added to it, minor units of the payment's currency, ≥ 0
   */
  public record Rate(int percentBp, long fixedMinor) {

    /** The fee of {@code amount}: never more than the amount itself. */
    public Money feeFor(Money amount) {
      Money fee = amount.basisPoints(percentBp).plus(new Money(fixedMinor, amount.currency()));
      return fee.amountMinor() > amount.amountMinor() ? amount : fee;
    }
  }

  private record Key(String merchantId, Method method, String currency) {}

  private final DatabaseClient db;
  private final Duration refreshInterval;
  private volatile Map<Key, Rate> snapshot = Map.of();

  MerchantPricing(DatabaseClient db, @Value("${malipo.pricing.refresh-interval:2s}") Duration refreshInterval) {
    if (refreshInterval.isNegative() || refreshInterval.isZero() || refreshInterval.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException("malipo.pricing.refresh-interval must be between 1ms and 10m, got " + refreshInterval);
    }
    this.db = db;
    this.refreshInterval = refreshInterval;
  }

  @Override
  protected Disposable launch() {
    return everyInterval(refreshInterval, log, "merchant pricing refresh", this::reload);
  }

  /**
   * The merchant's rate for a method in {@code currency}: its own for that currency, else its
   * every-currency rate, else empty (the configured defaults apply).
   */
  public Optional<Rate> rate(String merchantId, Method method, String currency) {
    Map<Key, Rate> rates = snapshot;
    Rate exact = rates.get(new Key(merchantId, method, currency));
    return Optional.ofNullable(exact != null ? exact : rates.get(new Key(merchantId, method, ANY_CURRENCY)));
  }

  /** The merchant's rows: method → currency ({@link #ANY_CURRENCY} included) → rate, from the database. */
  Mono<Map<Method, Map<String, Rate>>> of(String merchantId) {
    return db.sql("SELECT method, currency, percent_bp, fixed_minor FROM merchant_pricing WHERE merchant_id = :id")
        .bind("id", merchantId)
        .map(row -> Map.entry(new Key(merchantId, Method.valueOf(row.get("method", String.class).toUpperCase(java.util.Locale.ROOT)),
            row.get("currency", String.class)), new Rate(row.get("percent_bp", Integer.class), row.get("fixed_minor", Long.class))))
        .all()
        .collect(() -> new java.util.EnumMap<Method, Map<String, Rate>>(Method.class),
            (map, e) -> map.computeIfAbsent(e.getKey().method(), m -> new java.util.TreeMap<>()).put(e.getKey().currency(), e.getValue()));
  }

  /**
   * Sets the merchant's rates for {@code currency} (or {@link #ANY_CURRENCY}), replacing the
   * methods given; in the caller's transaction (then {@link #remember} them).
   */
  Mono<Void> put(String merchantId, String currency, Map<Method, Rate> rates) {
    return Flux.fromIterable(rates.entrySet())
        .concatMap(e -> db.sql("""
                INSERT INTO merchant_pricing (merchant_id, method, currency, percent_bp, fixed_minor)
                VALUES (:merchant, :method, :currency, :bp, :fixed)
                ON CONFLICT (merchant_id, method, currency)
                DO UPDATE SET percent_bp = EXCLUDED.percent_bp, fixed_minor = EXCLUDED.fixed_minor, updated_at = now()""")
            .bind("merchant", merchantId).bind("method", e.getKey().wireName()).bind("currency", currency)
            .bind("bp", e.getValue().percentBp()).bind("fixed", e.getValue().fixedMinor()).then())
        .then();
  }

  /** After {@link #put} committed: this instance's snapshot takes the new rates at once. */
  synchronized void remember(String merchantId, String currency, Map<Method, Rate> rates) {
    Map<Key, Rate> next = new HashMap<>(snapshot);
    rates.forEach((method, rate) -> next.put(new Key(merchantId, method, currency), rate));
    snapshot = Map.copyOf(next);
  }

  /** Reloads the snapshot from the table (every instance, every refresh interval). */
  Mono<Void> reload() {
    return db.sql("SELECT merchant_id, method, currency, percent_bp, fixed_minor FROM merchant_pricing LIMIT " + MAX_ROWS)
        .map(row -> Map.entry(new Key(row.get("merchant_id", String.class),
                Method.valueOf(row.get("method", String.class).toUpperCase(java.util.Locale.ROOT)), row.get("currency", String.class)),
            new Rate(row.get("percent_bp", Integer.class), row.get("fixed_minor", Long.class))))
        .all()
        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
        .doOnNext(rows -> snapshot = Map.copyOf(rows))
        .then();
  }
}
