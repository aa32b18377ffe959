package org.malipo.gateway.observability;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.malipo.gateway.common.BackgroundJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Gauge {@code malipo.ledger.imbalance} (Prometheus {@code malipo_ledger_imbalance_minor}), tag
 * {@code currency}: the sum of all debits minus the sum of all credits, in minor units, over every
 * posting of the ledger. It must be zero: every journal entry is balanced at commit (INVARIANTS.md
 * 1), so anything else means rows were written around that check. Gauge {@code
 * malipo.ledger.imbalance.checked} ({@code malipo_ledger_imbalance_checked_seconds}): when the sum
 * was last taken, seconds since the epoch, so a check that stopped running is seen too.
 *
 * <p>The sum reads every posting, so it runs every {@code malipo.observability.ledger-check-interval}
 * (default 60 s), not at each scrape.
 */
@Component
public final class LedgerImbalanceGauge extends BackgroundJob {

  private static final Logger log = LoggerFactory.getLogger(LedgerImbalanceGauge.class);

  private final DatabaseClient db;
  private final MeterRegistry meters;
  private final Duration interval;
  private final ConcurrentMap<String, AtomicLong> imbalances = new ConcurrentHashMap<>();
  private final AtomicLong checkedEpochSeconds = new AtomicLong();

  LedgerImbalanceGauge(DatabaseClient db, MeterRegistry meters,
      @Value("${malipo.observability.ledger-check-interval:60s}") Duration interval) {
    this.db = db;
    this.meters = meters;
    this.interval = interval;
    Gauge.builder("malipo.ledger.imbalance.checked", checkedEpochSeconds, AtomicLong::get).baseUnit("seconds")
        .description("When the ledger's debits and credits were last summed (epoch seconds)").register(meters);
  }

  @Override
  protected Disposable launch() {
    return everyInterval(interval, log, "ledger imbalance check", this::check);
  }

  /** Sums the ledger once and sets the gauges; completes when set. */
  Mono<Void> check() {
    return db.sql("""
            SELECT currency, sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END)::bigint AS imbalance
            FROM postings GROUP BY currency""")
        .map(row -> Map.entry(row.get("currency", String.class), row.get("imbalance", Long.class)))
        .all()
        .collectList()
        .doOnNext(sums -> {
          Map<String, Long> byCurrency = new HashMap<>();
          sums.forEach(sum -> byCurrency.put(sum.getKey(), sum.getValue()));
          // A currency whose postings are all gone (only a test or a restore does that) reads 0.
          imbalances.forEach((currency, value) -> value.set(byCurrency.getOrDefault(currency, 0L)));
          byCurrency.forEach((currency, sum) -> imbalance(currency).set(sum));
          checkedEpochSeconds.set(System.currentTimeMillis() / 1000);
        })
        .then();
  }

  private AtomicLong imbalance(String currency) {
    return imbalances.computeIfAbsent(currency, code -> {
      AtomicLong value = new AtomicLong();
      Gauge.builder("malipo.ledger.imbalance", value, AtomicLong::get).baseUnit("minor")
          .description("Debits minus credits over all postings, minor units; must be zero")
          .tag("currency", code).register(meters);
      return value;
    });
  }
}
