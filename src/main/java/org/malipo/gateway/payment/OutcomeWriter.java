package org.malipo.gateway.payment;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.malipo.gateway.common.SingleStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.ledger.Ledger;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Writes what the rails answered for new payments: the guarded move out of {@code processing},
 * the attempts, the outcome's event, the stored answer and, for a succeeded payment, the capture,
 * as one statement (docs/adr/0063-single-statement-payment-writes.md).
 *
 * <p>With {@code malipo.payments.group-commit.enabled} the outcomes of concurrent payments share
 * one statement (docs/adr/0061-ledger-group-commit.md): the first waits at most {@code max-wait}
 * for companions, a statement carries at most {@code max-batch}, one statement is in flight at a
 * time, and at most {@code max-queued} wait (beyond that an outcome is written alone, never
 * refused). A batch that fails wrote nothing (one statement); each of its outcomes is then written
 * alone, so one payment's failure is reported to that payment only.
 */
@Component
final class OutcomeWriter {

  private static final Logger log = LoggerFactory.getLogger(OutcomeWriter.class);

  /** Fallback writes of a failed batch that run at once. */
  private static final int FALLBACK_CONCURRENCY = 8;

  private final DatabaseClient db;
  private final PaymentRepository payments;
  private final OutboxWriter outbox;
  private final IdempotencyStore idempotency;
  private final Ledger ledger;
  private final PaymentProperties.GroupCommit groupCommit;
  private final AtomicInteger queued = new AtomicInteger();
  private final DistributionSummary batchSizes;
  private volatile FluxSink<Pending> batches;

  /**
   * A payment's outcome to write.
   *
   * @param result the payment as the rails left it ({@code processing} when the outcome is unknown)
   * @param attempts every rail attempt made
   * @param answer the JSON body answered to the merchant, stored with the idempotency key
   * @param at when the outcome was decided (the event's {@code occurred_at})
   */
  record Outcome(Payment result, List<PaymentAttempt> attempts, String answer, Instant at) {}

  private record Pending(Outcome outcome, Sinks.One<Void> written) {}

  OutcomeWriter(DatabaseClient db, PaymentRepository payments, OutboxWriter outbox, IdempotencyStore idempotency,
      Ledger ledger, PaymentProperties properties, MeterRegistry meters) {
    this.db = db;
    this.payments = payments;
    this.outbox = outbox;
    this.idempotency = idempotency;
    this.ledger = ledger;
    this.groupCommit = properties.groupCommit();
    this.batchSizes = DistributionSummary.builder("malipo.payments.group_commit.batch_size")
        .description("Payment outcomes written by one statement").register(meters);
    Gauge.builder("malipo.payments.group_commit.queued", queued, AtomicInteger::get)
        .description("Payment outcomes waiting for a group-commit statement").register(meters);
    if (groupCommit.enabled()) {
      log.info("group commit of payment outcomes: on (max-wait {} ms, max-batch {}, max-queued {})",
          groupCommit.maxWait().toMillis(), groupCommit.maxBatch(), groupCommit.maxQueued());
      startBatching();
    }
  }

  /**
   * Writes one outcome, alone or in a group-commit batch.
   *
   * @return completes when the outcome is committed; error {@link IllegalStateException} when the
   *     payment was no longer {@code processing} or its key no longer in progress, the translated
   *     database error otherwise (nothing of this outcome written in either case)
   */
  Mono<Void> write(Outcome outcome) {
    FluxSink<Pending> sink = batches;
    if (sink == null || queued.incrementAndGet() > groupCommit.maxQueued()) {
      if (sink != null) {
        queued.decrementAndGet();
      }
      return writeAll(List.of(outcome));
    }
    Sinks.One<Void> written = Sinks.one();
    sink.next(new Pending(outcome, written));
    return written.asMono();
  }

  private void startBatching() {
    Flux.<Pending>create(sink -> batches = sink, FluxSink.OverflowStrategy.BUFFER)
        .bufferTimeout(groupCommit.maxBatch(), groupCommit.maxWait(), true)
        .concatMap(this::writeBatch, 1)
        .subscribe();
  }

  private Mono<Void> writeBatch(List<Pending> batch) {
    queued.addAndGet(-batch.size());
    batchSizes.record(batch.size());
    return writeAll(batch.stream().map(Pending::outcome).toList())
        .doOnSuccess(done -> batch.forEach(pending -> pending.written().tryEmitEmpty()))
        .onErrorResume(error -> batch.size() == 1
            ? Mono.fromRunnable(() -> batch.getFirst().written().tryEmitError(error))
            : Flux.fromIterable(batch)
                .flatMap(pending -> writeAll(List.of(pending.outcome()))
                    .doOnSuccess(done -> pending.written().tryEmitEmpty())
                    .onErrorResume(alone -> Mono.fromRunnable(() -> pending.written().tryEmitError(alone))),
                    FALLBACK_CONCURRENCY)
                .then());
  }

  /** One statement for all of {@code outcomes}: every one of them is written, or none. */
  private Mono<Void> writeAll(List<Outcome> outcomes) {
    return Mono.defer(() -> {
      SingleStatement statement = new SingleStatement();
      payments.outcomesIn(statement, outcomes.stream()
          .map(o -> new PaymentRepository.Outcome(o.result(), PaymentStatus.PROCESSING, o.attempts())).toList());
      List<OutboxWriter.Event> events = outcomes.stream()
          .filter(o -> o.result().status() != PaymentStatus.PROCESSING)
          .map(o -> new OutboxWriter.Event(o.result().id(), o.result().merchantId(),
              "payment." + o.result().status().wireName(), o.at(), PaymentView.of(o.result())))
          .toList();
      if (!events.isEmpty()) {
        outbox.appendAllIn(statement, PaymentRepository.OUTCOME, events);
      }
      idempotency.completeAllIn(statement, outcomes.stream()
          .map(o -> new IdempotencyStore.Completion(o.result().merchantId(), o.result().idempotencyKey(),
              o.result().id(), PaymentPipeline.CREATED, o.answer()))
          .toList());
      List<Ledger.Capture> captures = outcomes.stream()
          .filter(o -> o.result().status() == PaymentStatus.SUCCEEDED)
          .map(o -> new Ledger.Capture(o.result().id(), o.result().merchantId(), o.result().provider(),
              o.result().amount(), o.result().fee()))
          .toList();
      if (!captures.isEmpty()) {
        ledger.capturesIn(statement, PaymentRepository.OUTCOME, captures);
      }
      return statement.execute(db);
    });
  }

  /** Stops batching; outcomes already queued are still written. */
  @jakarta.annotation.PreDestroy
  void stop() {
    FluxSink<Pending> sink = batches;
    if (sink != null) {
      batches = null;
      sink.complete();
    }
  }
}
