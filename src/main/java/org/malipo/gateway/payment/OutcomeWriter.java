package org.malipo.gateway.payment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.common.TraceContext;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.ledger.Ledger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The one writer of every payment outcome (docs/adr/0065-payment-lifecycle.md), whoever learnt it:
 * the synchronous rail answer, a callback or the reconciler. It writes the guarded status change,
 * the attempts' answers, the outcome's event, the stored answer of the idempotency key and, for a
 * succeeded payment, the capture, as one statement (docs/adr/0063-single-statement-payment-writes.md).
 *
 * <p>With {@code malipo.payments.group-commit.enabled}, the outcomes of concurrent succeeded
 * payments share one statement (docs/adr/0061-ledger-group-commit.md): the first waits at most
 * {@code max-wait} for companions, a statement carries at most {@code max-batch}, at most {@code
 * max-in-flight} group statements run at once (the next batches fill meanwhile; a slow statement
 * does not hold up every outcome behind it), and at most {@code max-queued} wait (beyond that an outcome is
 * written alone, never refused). Each payment keeps its own rows, found by key with scalar
 * parameters; the balance rows are changed once per batch. A batch that fails wrote nothing (one
 * statement); each of its outcomes is then written alone, so one payment's failure is reported to
 * that payment only. Other outcomes (failed, pending, unknown) are always written alone: they
 * post nothing to the ledger, and keeping batches to one shape bounds the statement texts that
 * each connection prepares to {@code max-batch}.
 */
@Component
final class OutcomeWriter {

  private static final Logger log = LoggerFactory.getLogger(OutcomeWriter.class);

  /** Writes of a failed batch's outcomes, one by one, that run at once. */
  private static final int FALLBACK_CONCURRENCY = 8;

  private final DatabaseClient db;
  private final PaymentRepository payments;
  private final OperationRepository operations;
  private final OutboxWriter outbox;
  private final IdempotencyStore idempotency;
  private final Ledger ledger;
  private final PaymentProperties.GroupCommit groupCommit;
  private final AtomicInteger queued = new AtomicInteger();
  private final DistributionSummary batchSizes;
  private final Counter fallbacks;
  private final PaymentOutcomeMeters outcomeMeters;
  private volatile FluxSink<Pending> batches;

  /**
   * A payment's outcome to write.
   *
   * @param result the payment as the rails left it ({@code processing} when the outcome is unknown)
   * @param previous the status the payment must still have (the guard)
   * @param attempts the answers of the rail attempts made (rows committed before each call)
   * @param answer the JSON body of the payment after the outcome, stored with the idempotency key
   * @param answerStatus the HTTP status stored with it
   * @param key what to do with the payment's idempotency key
   * @param at when the outcome was decided (the event's {@code occurred_at})
   * @param operation the answer of the capture or void that moved a held payment, or null
   * @param idempotencyKey the key {@code key} completes: the payment's own, or the capture's or
   *     cancel's
   */
  record Outcome(Payment result, PaymentStatus previous, List<PaymentAttempt> attempts, String answer,
      int answerStatus, KeyCompletion key, Instant at, OperationRepository.OperationAnswer operation,
      String idempotencyKey) {

    /** An outcome of the authorization (no capture or void operation). */
    Outcome(Payment result, PaymentStatus previous, List<PaymentAttempt> attempts, String answer, int answerStatus,
        KeyCompletion key, Instant at) {
      this(result, previous, attempts, answer, answerStatus, key, at, null, result.idempotencyKey());
    }
  }

  /** What an outcome does to the payment's idempotency key. */
  enum KeyCompletion {
    /** The request that holds the key answers now: its key must be in progress and is completed. */
    REQUIRED,
    /** A later answer (callback, reconciler): completes the key if no answer was stored yet. */
    IF_IN_PROGRESS,
    /** The outcome is not known yet: the key stays in progress, so no retry starts a second payment. */
    NONE
  }

  /** An outcome waiting for a batch, with the traceparent of the request that submitted it. */
  private record Pending(Outcome outcome, Sinks.One<Void> written, String traceparent) {}

  OutcomeWriter(DatabaseClient db, PaymentRepository payments, OperationRepository operations, OutboxWriter outbox,
      IdempotencyStore idempotency, Ledger ledger, PaymentProperties properties, MeterRegistry meters) {
    this.db = db;
    this.payments = payments;
    this.operations = operations;
    this.outbox = outbox;
    this.idempotency = idempotency;
    this.ledger = ledger;
    this.groupCommit = properties.groupCommit();
    this.batchSizes = DistributionSummary.builder("malipo.payments.group_commit.batch_size")
        .description("Succeeded payments' outcomes written by one group-commit statement").register(meters);
    this.fallbacks = Counter.builder("malipo.payments.group_commit.fallbacks")
        .description("Group-commit statements that failed and were rewritten payment by payment").register(meters);
    this.outcomeMeters = new PaymentOutcomeMeters(meters);
    Gauge.builder("malipo.payments.group_commit.queued", queued, AtomicInteger::get)
        .description("Payment outcomes waiting for a group-commit statement").register(meters);
    if (groupCommit.enabled()) {
      log.info("group commit of payment outcomes: on (max-wait {} µs, max-batch {}, max-in-flight {}, max-queued {})",
          groupCommit.maxWait().toNanos() / 1_000, groupCommit.maxBatch(), groupCommit.maxInFlight(), groupCommit.maxQueued());
      startBatching();
    }
  }

  /**
   * Writes one outcome, alone or in a group-commit batch. Lazy: each subscription writes anew,
   * so a caller's retry submits the outcome again.
   *
   * Only a request's own succeeded outcome is batched; a later answer ({@link
   * KeyCompletion#IF_IN_PROGRESS}) is written alone, in the caller's transaction if it has one.
   *
   * @return completes when the outcome is committed; error {@link IllegalStateException} when the
   *     payment was no longer in {@code previous} with as many attempts, or its key no longer in
   *     progress, the translated database error otherwise (nothing of this outcome written in
   *     either case)
   */
  Mono<Void> write(Outcome outcome) {
    // Counted once committed; a retried write that fails counts nothing.
    return submit(outcome).doOnSuccess(done -> outcomeMeters.record(outcome.result(),
        outcome.key() != KeyCompletion.IF_IN_PROGRESS));
  }

  private Mono<Void> submit(Outcome outcome) {
    return Mono.defer(() -> {
      FluxSink<Pending> sink = batches;
      if (sink == null || outcome.result().status() != PaymentStatus.SUCCEEDED || outcome.key() != KeyCompletion.REQUIRED
          || outcome.previous() != PaymentStatus.PROCESSING) {
        return writeAlone(outcome);
      }
      if (queued.incrementAndGet() > groupCommit.maxQueued()) {
        queued.decrementAndGet();
        return writeAlone(outcome);
      }
      Sinks.One<Void> written = Sinks.one();
      sink.next(new Pending(outcome, written, TraceContext.current()));
      return written.asMono();
    });
  }

  private void startBatching() {
    // The queue behind create() is bounded by max-queued (counted in write()).
    Flux.<Pending>create(sink -> batches = sink, FluxSink.OverflowStrategy.BUFFER)
        .bufferTimeout(groupCommit.maxBatch(), groupCommit.maxWait(), true)
        .flatMap(this::writeBatch, groupCommit.maxInFlight(), 1)
        .subscribe(done -> { }, error -> {
          // Not expected (a batch's errors go to its payments); if it happens, write alone from now on.
          batches = null;
          log.error("group commit stopped; outcomes are written one by one", error);
        });
  }

  private Mono<Void> writeBatch(List<Pending> batch) {
    queued.addAndGet(-batch.size());
    batchSizes.record(batch.size());
    Mono<Void> statement = batch.size() == 1
        ? writeAlone(batch.getFirst().outcome(), batch.getFirst().traceparent())
        : writeTogether(batch);
    return statement
        .doOnSuccess(done -> batch.forEach(pending -> pending.written().tryEmitEmpty()))
        .onErrorResume(error -> {
          if (batch.size() == 1) {
            batch.getFirst().written().tryEmitError(error);
            return Mono.empty();
          }
          fallbacks.increment();
          // The most specific cause: the translated exception's message repeats the whole statement.
          log.warn("group commit of {} outcomes failed, writing them one by one: {}", batch.size(),
              NestedExceptionUtils.getMostSpecificCause(error).toString());
          return Flux.fromIterable(batch)
              .flatMap(pending -> writeAlone(pending.outcome(), pending.traceparent())
                  .doOnSuccess(done -> pending.written().tryEmitEmpty())
                  .onErrorResume(alone -> {
                    pending.written().tryEmitError(alone);
                    return Mono.empty();
                  }), FALLBACK_CONCURRENCY)
              .then();
        });
  }

  /** The outcome as a statement of its own. */
  private Mono<Void> writeAlone(Outcome outcome) {
    // Built anew for each try: ids (journal entry, event) are minted when the statement is built.
    return Mono.defer(() -> statementFor(outcome).execute(db));
  }

  private SingleStatement statementFor(Outcome outcome) {
    SingleStatement statement = new SingleStatement();
    Payment result = outcome.result();
    payments.outcomeIn(statement, result, outcome.previous(), outcome.attempts());
    // Added right after the payment's CTEs, so it runs after the event's sequence and holds the
    // merchant's balance row for the shortest time (SingleStatement: unread CTEs run last first).
    ledgerIn(statement, outcome);
    if (outcome.operation() != null) {
      operations.answerIn(statement, outcome.operation());
    }
    eventAndAnswerIn(statement, outcome);
    return statement;
  }

  /**
   * The outcome as a statement of its own, built on the batch's thread: the event records the
   * traceparent of the request that submitted it, not whatever this thread holds.
   */
  private Mono<Void> writeAlone(Outcome outcome, String traceparent) {
    return Mono.defer(() -> TraceContext.with(traceparent, () -> statementFor(outcome)).execute(db));
  }

  /** Succeeded outcomes, each in its own part of one statement: all of them are written, or none. */
  private Mono<Void> writeTogether(List<Pending> batch) {
    List<Outcome> outcomes = batch.stream().map(Pending::outcome).toList();
    return Mono.defer(() -> {
      SingleStatement statement = new SingleStatement();
      List<SingleStatement> parts = new ArrayList<>(outcomes.size());
      List<Ledger.Capture> captures = new ArrayList<>(outcomes.size());
      for (Outcome outcome : outcomes) {
        SingleStatement part = statement.part(parts.size());
        Payment result = outcome.result();
        payments.outcomeIn(part, result, outcome.previous(), outcome.attempts());
        captures.add(new Ledger.Capture(part, PaymentRepository.OUTCOME, result.id(), result.merchantId(),
            result.provider(), result.amount(), result.fee()));
        parts.add(part);
      }
      ledger.capturesIn(statement, captures);
      for (int i = 0; i < outcomes.size(); i++) {
        int at = i;
        TraceContext.with(batch.get(i).traceparent(), () -> {
          eventAndAnswerIn(parts.get(at), outcomes.get(at));
          return null;
        });
      }
      return statement.execute(db);
    });
  }

  /**
   * The ledger entries of the move, in the statement of the state change
   * (docs/adr/0082-authorization-holds.md): a capture for an automatic success; a hold when the
   * authorization is held; a capture of the captured amount and the release of the whole hold
   * when it is captured; a release alone when it is voided or expires.
   */
  private void ledgerIn(SingleStatement statement, Outcome outcome) {
    Payment result = outcome.result();
    String after = PaymentRepository.OUTCOME;
    boolean held = outcome.previous() == PaymentStatus.REQUIRES_CAPTURE;
    switch (result.status()) {
      case SUCCEEDED -> {
        ledger.captureIn(statement, after, result.id(), result.merchantId(), result.provider(),
            held ? result.amountCaptured() : result.amount(), result.fee());
        if (held) {
          ledger.releaseIn(statement.part(0), after, result.id(), result.merchantId(), result.provider(), result.amount());
        }
      }
      case REQUIRES_CAPTURE -> ledger.holdIn(statement, after, result.id(), result.merchantId(), result.provider(),
          result.amount());
      case CANCELED -> {
        if (held) {
          ledger.releaseIn(statement, after, result.id(), result.merchantId(), result.provider(), result.amount());
        }
      }
      default -> { }
    }
  }

  /** The event of a move: {@code payment.<status>}, except a capture of a held authorization, {@code payment.captured}. */
  static String eventType(PaymentStatus previous, PaymentStatus next) {
    return previous == PaymentStatus.REQUIRES_CAPTURE && next == PaymentStatus.SUCCEEDED
        ? "payment.captured" : "payment." + next.wireName();
  }

  private void eventAndAnswerIn(SingleStatement statement, Outcome outcome) {
    Payment result = outcome.result();
    if (result.status() != outcome.previous()) {
      outbox.appendIn(statement, PaymentRepository.OUTCOME, result.id(), result.merchantId(),
          eventType(outcome.previous(), result.status()), outcome.at(), PaymentView.of(result));
    }
    if (outcome.key() != KeyCompletion.NONE) {
      idempotency.completeIn(statement, result.merchantId(), outcome.idempotencyKey(), result.id(),
          outcome.answerStatus(), outcome.answer(), outcome.key() == KeyCompletion.REQUIRED);
    }
  }

  /**
   * Stops batching; outcomes already queued are still written. Called when the context closes,
   * after the web server stopped taking requests; an outcome submitted in the same instant is
   * dropped with the sink, and its payment stays {@code processing}, as after a crash.
   */
  @PreDestroy
  void stop() {
    FluxSink<Pending> sink = batches;
    if (sink != null) {
      batches = null;
      sink.complete();
    }
  }
}
