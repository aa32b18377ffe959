package org.malipo.gateway.retention;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.malipo.gateway.common.BackgroundJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deletes what the gateway no longer needs, every {@code malipo.retention.interval}
 * ({@link RetentionProperties}; docs/adr/0068-retention.md):
 *
 * <ul>
 *   <li>idempotency keys expired more than {@code idempotency-keys} ago whose payment or refund is
 *       final ({@code succeeded} or {@code failed}); a key of anything else (in progress, a pending
 *       mobile-money payment, a payment the reconciler has not settled) is kept whatever its age;
 *   <li>published outbox rows older than {@code outbox}, except each aggregate's latest row: the
 *       next event's sequence is one more than the highest stored (V7's {@code outbox_next_sequence});
 *   <li>callback inbox rows with a verdict, processed more than {@code inbox} ago;
 *   <li>finished webhook deliveries created more than {@code webhook-deliveries} ago, with their
 *       attempts.
 * </ul>
 *
 * <p>Batched and safe on many instances: each statement deletes at most {@code batch-size} rows in
 * its own short transaction, which first takes a transaction-scoped advisory lock (one instance
 * purges at a time; the others skip that batch) and claims rows with {@code FOR UPDATE SKIP
 * LOCKED}, so a row the request path holds is left for a later pass. At most {@code
 * max-batches-per-pass} statements per table per pass.
 */
@Component
final class RetentionJob extends BackgroundJob {

  /** Advisory lock key shared by all instances ("RETAIN" in ASCII). */
  static final long LOCK_KEY = 0x52455441494EL;

  private static final Logger log = LoggerFactory.getLogger(RetentionJob.class);

  private static final String IDEMPOTENCY_KEYS = """
      DELETE FROM idempotency_keys k USING (
          SELECT c.merchant_id, c.idempotency_key FROM idempotency_keys c
          WHERE c.expires_at < now() - make_interval(secs => :age)
            AND c.state = 'completed'
            AND (EXISTS (SELECT 1 FROM payments p WHERE p.id = c.resource_id AND p.status IN ('succeeded', 'failed', 'canceled'))
                 OR EXISTS (SELECT 1 FROM refunds r WHERE r.id = c.resource_id AND r.status IN ('succeeded', 'failed'))
                 OR EXISTS (SELECT 1 FROM payouts po WHERE po.id = c.resource_id AND po.status IN ('succeeded', 'failed')))
          ORDER BY c.expires_at LIMIT :limit
          FOR UPDATE OF c SKIP LOCKED) doomed
      WHERE k.merchant_id = doomed.merchant_id AND k.idempotency_key = doomed.idempotency_key""";

  /**
   * One window of outbox ids: deletes its old published rows that have a later row of the same
   * aggregate, and says whether the window held rows too young (or unpublished) to go, which ends
   * the walk for this pass. Windows bound the rows scanned: each aggregate's latest row stays, so
   * an id-ordered scan from the start would walk past every one of them on every pass.
   */
  private static final String OUTBOX_WINDOW = """
      WITH scan AS (
          SELECT id, aggregate_id, sequence, published_at, created_at FROM outbox
          WHERE id > :after AND id <= :until),
      doomed AS (
          SELECT s.id FROM scan s
          WHERE s.published_at IS NOT NULL AND s.created_at < now() - make_interval(secs => :age)
            AND EXISTS (SELECT 1 FROM outbox n WHERE n.aggregate_id = s.aggregate_id AND n.sequence > s.sequence)),
      gone AS (
          DELETE FROM outbox o USING doomed d WHERE o.id = d.id RETURNING 1)
      SELECT (SELECT count(*) FROM gone) AS deleted,
             (SELECT count(*) FROM scan
              WHERE published_at IS NULL OR created_at >= now() - make_interval(secs => :age)) AS staying,
             (SELECT coalesce(max(id), 0) FROM outbox) AS last_id""";

  private static final String INBOX = """
      DELETE FROM inbox WHERE id IN (
          SELECT id FROM inbox
          WHERE verdict IS NOT NULL AND processed_at < now() - make_interval(secs => :age)
          ORDER BY processed_at LIMIT :limit
          FOR UPDATE SKIP LOCKED)""";

  /**
   * Finished deliveries created before the cutoff, found through their time-ordered ids
   * ({@code whd_} and a UUIDv7 whose first 12 hex digits are Unix milliseconds), and their
   * attempts, in one statement (the foreign key is checked at its end).
   */
  private static final String WEBHOOK_DELIVERIES = """
      WITH doomed AS (
          SELECT id FROM webhook_deliveries
          WHERE id < 'whd_' || lpad(to_hex((extract(epoch FROM now() - make_interval(secs => :age)) * 1000)::bigint), 12, '0')
            AND status IN ('delivered', 'dead', 'cancelled')
          ORDER BY id LIMIT :limit
          FOR UPDATE SKIP LOCKED),
      attempts AS (
          DELETE FROM webhook_attempts a USING doomed d WHERE a.delivery_id = d.id RETURNING 1)
      DELETE FROM webhook_deliveries w USING doomed d WHERE w.id = d.id""";

  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final RetentionProperties properties;
  private final MeterRegistry meters;
  /** Where this instance's outbox walk goes on; below it only each aggregate's latest rows remain. */
  private final AtomicLong outboxCursor = new AtomicLong(-1);

  RetentionJob(DatabaseClient db, ReactiveTransactionManager transactionManager, RetentionProperties properties,
      MeterRegistry meters) {
    this.db = db;
    this.tx = TransactionalOperator.create(transactionManager);
    this.properties = properties;
    this.meters = meters;
  }

  @Override
  protected Disposable launch() {
    if (!properties.enabled()) {
      log.info("retention purge off on this instance (malipo.retention.enabled=false)");
      return Mono.never().subscribe();
    }
    return everyInterval(properties.interval(), log, "retention pass", this::pass);
  }

  /**
   * One pass over every table.
   *
   * @return the rows deleted
   */
  Mono<Long> pass() {
    // One table after the other: each batch takes the same advisory lock on its own connection.
    return Flux.concat(purgeIdempotencyKeys(), purgeOutbox(), purgeInbox(), purgeWebhookDeliveries())
        .reduce(0L, Long::sum)
        .doOnNext(total -> {
          if (total > 0) {
            log.info("retention pass deleted {} rows", total);
          }
        });
  }

  Mono<Long> purgeIdempotencyKeys() {
    return repeatBatches("idempotency_keys", () -> delete(IDEMPOTENCY_KEYS, properties.idempotencyKeys()));
  }

  Mono<Long> purgeInbox() {
    return repeatBatches("inbox", () -> delete(INBOX, properties.inbox()));
  }

  Mono<Long> purgeWebhookDeliveries() {
    return repeatBatches("webhook_deliveries", () -> delete(WEBHOOK_DELIVERIES, properties.webhookDeliveries()));
  }

  /** Starts this instance's outbox walk after {@code id} (tests, whose rows are old only by their timestamps). */
  void startOutboxWalkAfter(long id) {
    outboxCursor.set(id);
  }

  /** Walks the outbox window by window from this instance's cursor, at most max-batches-per-pass windows. */
  Mono<Long> purgeOutbox() {
    Mono<Long> start = outboxCursor.get() >= 0 ? Mono.just(outboxCursor.get())
        : db.sql("SELECT coalesce(min(id), 1) - 1 AS start FROM outbox").map(row -> row.get("start", Long.class)).one()
            .doOnNext(outboxCursor::set);
    return start.flatMap(cursor -> outboxWindows(cursor, 0L, 0))
        .doOnNext(count -> count(count, "outbox"));
  }

  private Mono<Long> outboxWindows(long after, long deletedSoFar, int windows) {
    if (windows >= properties.maxBatchesPerPass()) {
      return Mono.just(deletedSoFar);
    }
    long until = after + properties.batchSize();
    Mono<long[]> window = locked(db.sql(OUTBOX_WINDOW)
        .bind("after", after).bind("until", until).bind("age", seconds(properties.outbox()))
        .map(row -> new long[] {row.get("deleted", Long.class), row.get("staying", Long.class), row.get("last_id", Long.class)})
        .one());
    return window
        .flatMap(result -> {
          long deleted = deletedSoFar + result[0];
          boolean reachedYoungRows = result[1] > 0;
          boolean reachedTheEnd = until > result[2];
          if (reachedYoungRows || reachedTheEnd) {
            return Mono.just(deleted); // the cursor stays: this window is looked at again next pass
          }
          outboxCursor.set(until);
          return outboxWindows(until, deleted, windows + 1);
        })
        .defaultIfEmpty(deletedSoFar); // another instance holds the lock
  }

  /** Runs {@code batch} until it deletes less than a full batch, at most max-batches-per-pass times. */
  private Mono<Long> repeatBatches(String table, Supplier<Mono<Long>> batch) {
    return batch.get()
        .expand(deleted -> deleted >= properties.batchSize() ? batch.get() : Mono.empty())
        .take(properties.maxBatchesPerPass())
        .reduce(0L, Long::sum)
        .doOnNext(count -> count(count, table));
  }

  /** One delete statement under the lock; 0 when another instance holds it. */
  private Mono<Long> delete(String sql, Duration age) {
    return locked(db.sql(sql).bind("age", seconds(age)).bind("limit", properties.batchSize()).fetch().rowsUpdated())
        .defaultIfEmpty(0L);
  }

  /** {@code work} in its own transaction, after taking the purge's advisory lock; empty without the lock. */
  private <T> Mono<T> locked(Mono<T> work) {
    Mono<T> guarded = db.sql("SELECT pg_try_advisory_xact_lock(:key) AS locked").bind("key", LOCK_KEY)
        .map(row -> Boolean.TRUE.equals(row.get("locked", Boolean.class)))
        .one()
        .flatMap(locked -> locked ? work : Mono.empty());
    return tx.transactional(guarded);
  }

  private void count(long rows, String table) {
    if (rows > 0) {
      meters.counter("malipo.retention.deleted", "table", table).increment(rows);
    }
  }

  private static double seconds(Duration duration) {
    return duration.toMillis() / 1000.0;
  }
}
