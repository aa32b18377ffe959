package org.malipo.gateway.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.events.EventPublisher.OutboxEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * Streams committed outbox rows to Kafka and marks them published (DESIGN.md §7).
 *
 * <p>One batch runs in one transaction that first takes a PostgreSQL advisory lock: with several
 * gateway instances only one relays at a time, so rows are published in outbox order and a
 * payment's events stay ordered on its partition. A batch that Kafka does not acknowledge rolls
 * back and is retried on the next tick: delivery is at least once, with the same event id.
 *
 * <p>Bounded: at most {@code relay-batch-size} rows in memory; of the ticks that arrive while a
 * pass and the {@code relay-min-gap} after it run, one waits and the others are dropped.
 */
@Component
public final class OutboxRelay extends BackgroundJob {

  /** Advisory lock key shared by all instances ("MALIPO" in ASCII, fits a bigint). */
  private static final long RELAY_LOCK_KEY = 0x4D414C49504FL;

  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

  /** Least time between two warnings that the topic is not ready. */
  private static final Duration TOPIC_WARNING_INTERVAL = Duration.ofMinutes(1);

  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final EventPublisher publisher;
  private final KafkaAdmin admin;
  private final KafkaProperties properties;
  private final Counter published;
  private final Counter failures;
  private final AtomicLong lagMs = new AtomicLong();
  private final AtomicLong backlog = new AtomicLong();
  private final AtomicLong lagMeasuredNanos = new AtomicLong(System.nanoTime());
  /** Set once the topic exists; only the relay loop (one pass at a time) reads and writes it. */
  private volatile boolean topicReady;
  private volatile long topicWarnedNanos = System.nanoTime() - TOPIC_WARNING_INTERVAL.toNanos() - 1;
  // A new sink for each start: a unicast sink takes one subscriber, and a stopped relay may be started again.
  private volatile Sinks.Many<Boolean> wakeUps = newWakeUps();

  OutboxRelay(DatabaseClient db, ReactiveTransactionManager transactionManager, EventPublisher publisher,
      KafkaAdmin admin, KafkaProperties properties, MeterRegistry meters) {
    this.db = db;
    this.tx = TransactionalOperator.create(transactionManager);
    this.publisher = publisher;
    this.admin = admin;
    this.properties = properties;
    this.published = meters.counter("malipo.outbox.published");
    this.failures = meters.counter("malipo.outbox.relay.failures");
    Gauge.builder("malipo.outbox.lag", lagMs, AtomicLong::get).baseUnit("milliseconds")
        .description("Age of the oldest committed event not yet acknowledged by Kafka").register(meters);
    Gauge.builder("malipo.outbox.backlog", backlog, AtomicLong::get)
        .description("Committed events not yet acknowledged by Kafka").register(meters);
  }

  /** Asks for a relay pass soon; coalesces with other wake-ups. */
  void wakeUp() {
    wakeUps.tryEmitNext(Boolean.TRUE);
  }

  private static Sinks.Many<Boolean> newWakeUps() {
    return Sinks.many().unicast().onBackpressureBuffer(Queues.<Boolean>one().get());
  }

  @Override
  protected Disposable launch() {
    wakeUps = newWakeUps();
    Flux<Boolean> ticks = Flux.merge(Flux.interval(properties.relayPollInterval()).map(tick -> Boolean.TRUE), wakeUps.asFlux())
        .onBackpressureDrop();
    return ticks
        // One wake-up that arrives during a pass or its gap waits in concatMap's one-slot queue, so
        // an event committed then is relayed right after the gap; later wake-ups coalesce with it.
        .concatMap(tick -> pass().delayUntil(count -> Mono.delay(properties.relayMinGap())), 1)
        .subscribe();
  }

  /**
   * One relay pass, once the topic is known to exist: until then (Kafka unreachable at start, too
   * few brokers for the replication factor, a topic the platform has not created yet) nothing is
   * sent, so no broker ever auto-creates the topic with its own defaults; the rows wait.
   */
  private Mono<Integer> pass() {
    if (topicReady) {
      return drain();
    }
    return admin.ensureTopic()
        .then(Mono.fromCallable(() -> topicReady = true))
        .flatMap(ready -> drain())
        .onErrorResume(error -> {
          long now = System.nanoTime();
          if (now - topicWarnedNanos > TOPIC_WARNING_INTERVAL.toNanos()) {
            topicWarnedNanos = now;
            log.warn("events topic {} not ready, events wait in the outbox: {}", properties.topic(), error.toString());
          }
          return lagDue() ? measureLag().thenReturn(0) : Mono.just(0);
        });
  }

  /** Relays batches until one comes back short. */
  Mono<Integer> drain() {
    return relayBatch()
        .expand(count -> count == properties.relayBatchSize() ? relayBatch() : Mono.empty())
        .reduce(0, Integer::sum)
        .onErrorResume(error -> {
          failures.increment();
          log.warn("outbox relay pass failed, rows stay unpublished and are retried: {}", error.toString());
          return Mono.just(0);
        })
        .flatMap(count -> lagDue() ? measureLag().thenReturn(count) : Mono.just(count));
  }

  /**
   * Whether the gauges are due for a refresh: at most once per poll interval. Under load every
   * commit wakes the relay, and a count of the backlog after each of those passes cost as much as
   * the pass itself.
   */
  private boolean lagDue() {
    long now = System.nanoTime();
    long last = lagMeasuredNanos.get();
    return now - last >= properties.relayPollInterval().toNanos() && lagMeasuredNanos.compareAndSet(last, now);
  }

  /** Age of the oldest unpublished row (0 when none): how far events lag behind commits. */
  private Mono<Void> measureLag() {
    return db.sql("""
            SELECT coalesce(extract(epoch FROM now() - min(created_at)) * 1000, 0)::bigint AS lag_ms,
                   count(*) AS backlog
            FROM outbox WHERE published_at IS NULL""")
        .map(row -> {
          lagMs.set(row.get("lag_ms", Long.class));
          backlog.set(row.get("backlog", Long.class));
          return true;
        })
        .one()
        .onErrorResume(error -> Mono.empty()) // a metric must never stop the relay
        .then();
  }

  private Mono<Integer> relayBatch() {
    Mono<Integer> batch = db.sql("SELECT pg_try_advisory_xact_lock(:key) AS locked")
        .bind("key", RELAY_LOCK_KEY)
        .map(row -> Boolean.TRUE.equals(row.get("locked", Boolean.class)))
        .one()
        .flatMap(locked -> locked ? publishUnpublished() : Mono.just(0));
    return tx.transactional(batch);
  }

  // No FOR UPDATE: the advisory lock already makes this the only relay, and the rows are only ever
  // updated here; locking each row cost a heap write (and its WAL) per event for nothing.
  private Mono<Integer> publishUnpublished() {
    return db.sql("""
            SELECT id, event_id, aggregate_id, type, payload, traceparent FROM outbox
            WHERE published_at IS NULL ORDER BY id LIMIT :limit""")
        .bind("limit", properties.relayBatchSize())
        .map(row -> new OutboxEvent(row.get("id", Long.class), row.get("event_id", String.class),
            row.get("aggregate_id", String.class), row.get("type", String.class), row.get("payload", String.class),
            row.get("traceparent", String.class)))
        .all()
        .collectList()
        .flatMap(events -> events.isEmpty() ? Mono.just(0) : publishAndMark(events));
  }

  private Mono<Integer> publishAndMark(List<OutboxEvent> events) {
    Long[] ids = events.stream().map(OutboxEvent::outboxId).toArray(Long[]::new);
    return publisher.publish(events)
        .timeout(properties.publishTimeout())
        .then(db.sql("UPDATE outbox SET published_at = now() WHERE id = ANY(CAST(:ids AS bigint[]))")
            .bind("ids", ids)
            .fetch().rowsUpdated())
        .map(Long::intValue)
        .doOnNext(count -> published.increment(count));
  }
}
