package org.malipo.gateway.fx;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.malipo.gateway.common.CurrencyUnit;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The rate source: table {@code fx_rates}, loaded from the configured file at start
 * ({@link FxRateFile}). A pair is quoted in either direction (EUR/XOF converts XOF to EUR too);
 * there are no cross rates: XOF to USD needs an XOF/USD or USD/XOF row. The latest rate whose
 * {@code as_of} is not in the future applies.
 */
@Component
public final class FxRates {

  /** The latest rate of a pair (either direction) as of now. */
  private static final String LATEST = """
      SELECT base, quote, rate, as_of, source FROM fx_rates
      WHERE ((base = :from AND quote = :to) OR (base = :to AND quote = :from)) AND as_of <= now()
      ORDER BY as_of DESC, (base = :from) DESC LIMIT 1""";

  private final DatabaseClient db;

  FxRates(DatabaseClient db) {
    this.db = db;
  }

  /**
   * An SQL condition true when a rate converts {@code fromExpression} into {@code toExpression}
   * (SQL expressions of two currency codes), the same rule as {@link #latest}.
   */
  public static String rateExistsSql(String fromExpression, String toExpression) {
    return ("EXISTS (SELECT 1 FROM fx_rates fx WHERE ((fx.base = %1$s AND fx.quote = %2$s) "
        + "OR (fx.base = %2$s AND fx.quote = %1$s)) AND fx.as_of <= now())").formatted(fromExpression, toExpression);
  }

  /**
   * The rate that converts {@code from} into {@code to} now.
   *
   * @return the latest rate of the pair in either direction; empty when none is known (never
   *     guessed, never derived through a third currency)
   */
  public Mono<FxRate> latest(CurrencyUnit from, CurrencyUnit to) {
    return db.sql(LATEST).bind("from", from.code()).bind("to", to.code()).map(FxRates::rate).first();
  }

  /** The latest rate of every pair as stored (a pair's two directions are two pairs), by base and quote. */
  public Flux<FxRate> latestOfEveryPair() {
    return db.sql("""
            SELECT DISTINCT ON (base, quote) base, quote, rate, as_of, source FROM fx_rates
            WHERE as_of <= now() ORDER BY base, quote, as_of DESC""")
        .map(FxRates::rate).all();
  }

  /**
   * Adds rates; a rate whose pair and {@code as_of} are stored already is kept as stored (rates are
   * append-only).
   *
   * @return how many rows were added
   */
  public Mono<Long> add(List<FxRate> rates) {
    if (rates.isEmpty()) {
      return Mono.just(0L);
    }
    return db.sql("""
            INSERT INTO fx_rates (base, quote, rate, as_of, source)
            SELECT * FROM unnest(CAST(:bases AS text[]), CAST(:quotes AS text[]), CAST(:rates AS numeric[]),
                CAST(:times AS timestamptz[]), CAST(:sources AS text[]))
            ON CONFLICT (base, quote, as_of) DO NOTHING""")
        .bind("bases", rates.stream().map(r -> r.base().code()).toArray(String[]::new))
        .bind("quotes", rates.stream().map(r -> r.quote().code()).toArray(String[]::new))
        .bind("rates", rates.stream().map(FxRate::rate).toArray(BigDecimal[]::new))
        .bind("times", rates.stream().map(r -> r.asOf().atOffset(java.time.ZoneOffset.UTC)).toArray(java.time.OffsetDateTime[]::new))
        .bind("sources", rates.stream().map(FxRate::source).toArray(String[]::new))
        .fetch().rowsUpdated();
  }

  private static FxRate rate(io.r2dbc.spi.Readable row) {
    return new FxRate(CurrencyUnit.fromCode(row.get("base", String.class).strip()).orElseThrow(),
        CurrencyUnit.fromCode(row.get("quote", String.class).strip()).orElseThrow(),
        row.get("rate", BigDecimal.class), row.get("as_of", Instant.class), row.get("source", String.class));
  }
}
