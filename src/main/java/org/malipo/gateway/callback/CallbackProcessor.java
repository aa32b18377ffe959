package org.malipo.gateway.callback;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.common.TraceScope;
import org.malipo.gateway.payment.PaymentResolutions.Attempt;
import org.malipo.gateway.payment.PaymentResolutions;
import org.malipo.gateway.payment.PaymentStatus;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailCallback;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRegistry;
import org.malipo.gateway.rail.mpesa.MpesaRail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * Processes inbox rows: read the callback in the rail's format, match it to an attempt by the
 * rail's reference, check amount, currency and payer, confirm a success by the rail's status
 * query (per rail, on by default; successes and failures alike, so a forged or mistaken report
 * changes nothing), then apply it and record the verdict in one transaction.
 *
 * <p>Verdicts: {@code rejected} (unreadable, or the status query contradicts a success),
 * {@code orphan} (no attempt after every retry), {@code mismatch} (amount, currency or payer
 * differ: quarantined and alerted, never applied), {@code applied}, {@code duplicate},
 * {@code late}. A row whose attempt is not known yet is retried with doubling delays, at most
 * {@code max-attempts} times (then {@code orphan}). A report the rail has not confirmed yet is
 * re-checked with doubling delays (at most {@code unconfirmed-max-backoff} apart) for {@code
 * unconfirmed-window} (24 h) from its arrival; a success still unconfirmed then becomes an
 * operator-visible exception with the money in suspense ({@link ExceptionCases}), never a silent
 * {@code failed}. A callback carries our attempt id in its URL, so it finds its attempt even when the
 * rail's reference was never learnt (a push whose answer was lost).
 *
 * <p>Bounded: {@code batch-size} rows claimed at once, {@code concurrency} processed at once;
 * ticks arriving while a pass runs are dropped.
 */
@Component
final class CallbackProcessor extends BackgroundJob {

  private static final Logger log = LoggerFactory.getLogger(CallbackProcessor.class);

  private final Inbox inbox;
  private final PaymentResolutions resolutions;
  private final RailRegistry rails;
  private final CallbackProperties properties;
  private final TransactionalOperator tx;
  private final MeterRegistry meters;
  private final StrictJson strictJson;
  private final ExceptionCases exceptions;
  private final java.time.Clock clock;
  /** Null when tracing is off: callbacks are then processed without a span. */
  private final Tracer tracer;
  private final Sinks.Many<Boolean> wakeUps = Sinks.many().unicast().onBackpressureBuffer(Queues.<Boolean>one().get());

  CallbackProcessor(Inbox inbox, PaymentResolutions resolutions, RailRegistry rails, CallbackProperties properties,
      ReactiveTransactionManager transactionManager, MeterRegistry meters, StrictJson strictJson,
      ExceptionCases exceptions, java.time.Clock clock, ObjectProvider<Tracer> tracer) {
    this.tracer = TraceScope.active(tracer.getIfAvailable());
    this.strictJson = strictJson;
    this.exceptions = exceptions;
    this.clock = clock;
    this.inbox = inbox;
    this.resolutions = resolutions;
    this.rails = rails;
    this.properties = properties;
    this.tx = TransactionalOperator.create(transactionManager);
    this.meters = meters;
  }

  /** Asks for a pass soon; coalesces with other wake-ups. */
  void wakeUp() {
    wakeUps.tryEmitNext(Boolean.TRUE);
  }

  @Override
  protected Disposable launch() {
    return Flux.merge(Flux.interval(properties.pollInterval()).map(tick -> Boolean.TRUE), wakeUps.asFlux())
        .onBackpressureDrop()
        .concatMap(tick -> drain(), 1)
        .subscribe();
  }

  /** Processes claimed batches until a batch comes back short. */
  Mono<Long> drain() {
    return pass()
        .expand(count -> count == properties.batchSize().longValue() ? pass() : Mono.empty())
        .reduce(0L, Long::sum)
        .onErrorResume(error -> {
          log.warn("inbox pass failed, rows stay open and are retried: {}", error.toString());
          return Mono.just(0L);
        });
  }

  private Mono<Long> pass() {
    return inbox.claim(properties.batchSize())
        .flatMap(row -> process(row).onErrorResume(error -> {
          log.warn("inbox row {}: processing failed, retried later: {}", row.id(), error.toString());
          return inbox.retryLater(row.id(), backoff(row), "error: " + error.getClass().getSimpleName());
        }).thenReturn(1L), properties.concurrency())
        .count();
  }

  Mono<Void> process(Inbox.Row row) {
    RailAdapter rail = rails.byName(row.rail()).orElse(null);
    if (rail == null) {
      return decide(row, Inbox.Verdict.REJECTED, "rail " + row.rail() + " not configured", null, null);
    }
    RailCallback callback;
    try {
      // Untrusted input (OWASP API10): the rails' callbacks are JSON objects, read first with the
      // API's strict rules (duplicate keys, nesting depth, trailing data) so no two readers of one
      // body can disagree on what it says.
      strictJson.readObject(row.body());
    } catch (ApiProblem e) {
      return decide(row, Inbox.Verdict.REJECTED, "malformed: " + e.getMessage(), null, null);
    }
    try {
      callback = rail.readCallback(row.body(), row.referenceHint());
    } catch (IllegalArgumentException e) {
      return decide(row, Inbox.Verdict.REJECTED, "malformed: " + e.getMessage(), null, null);
    }
    if (callback.outcome() instanceof RailOutcome.Pending || callback.outcome() instanceof RailOutcome.Unknown) {
      return decide(row, Inbox.Verdict.REJECTED, "not a final status", callback.railReference(), null);
    }
    // Not flatMap(match).switchIfEmpty(orphan): match completes empty too, and a row it left open
    // for a later check must not become an orphan.
    return resolutions.findAttempt(rail.name(), callback.railReference(), callback.externalId())
        .map(Optional::of)
        .defaultIfEmpty(Optional.empty())
        .flatMap(found -> found.isPresent() ? traced(row, found.get(), () -> match(row, rail, callback, found.get()))
            : exhausted(row)
            ? decide(row, Inbox.Verdict.ORPHAN, "no attempt for this reference; kept for review", callback.railReference(), null)
            : inbox.retryLater(row.id(), backoff(row), "no attempt yet"));
  }

  /**
   * The callback's work for its attempt inside a span {@code callback.process} whose parent is the
   * span that recorded the payment (issue 24, docs/adr/0089): the status query, the statements and
   * the events it writes join the payment's trace. Without tracing, or for an untraced payment,
   * the work runs as it is.
   */
  private Mono<Void> traced(Inbox.Row row, Attempt attempt, Supplier<Mono<Void>> work) {
    return TraceScope.joined(tracer, attempt.traceparent(), "callback.process", Span.Kind.CONSUMER,
        span -> span.tag("malipo.rail", row.rail()).tag("malipo.inbox.row", String.valueOf(row.id()))
            .tag("malipo.payment", attempt.paymentId()).tag("malipo.callback.attempts", String.valueOf(row.attempts())),
        work);
  }

  private Mono<Void> match(Inbox.Row row, RailAdapter rail, RailCallback callback, Attempt attempt) {
    String mismatch = mismatch(callback, attempt, confirms(rail));
    if (mismatch != null) {
      meters.counter("malipo.callbacks.mismatch", "rail", rail.name()).increment();
      log.error("ALERT inbox row {}: callback for payment {} does not match ({}); quarantined", row.id(),
          attempt.paymentId(), mismatch);
      return decide(row, Inbox.Verdict.MISMATCH, mismatch, attempt.railReference(), attempt.paymentId());
    }
    boolean reportsSuccess = callback.outcome() instanceof RailOutcome.Approved;
    if (attempt.status().isFinal() && !(reportsSuccess && attempt.status() == PaymentStatus.FAILED)) {
      // Already resolved (by another copy of this callback or by the reconciler): a repeat success
      // or any failure changes nothing, so the rail is not asked again. Only money reported for a
      // failed payment (late funds) still needs the rail's confirmation below.
      return apply(row, attempt, callback.outcome());
    }
    // The reference the rail gave in the callback where the attempt never learnt it (lost answer).
    String reference = attempt.railReference() != null ? attempt.railReference() : callback.railReference();
    Mono<RailOutcome> confirmed = confirms(rail) ? rail.queryStatus(reference) : Mono.just(callback.outcome());
    return confirmed.flatMap(outcome -> switch (outcome) {
      case RailOutcome.Approved approved -> apply(row, attempt, approved);
      case RailOutcome.Declined declined when reportsSuccess ->
          decide(row, Inbox.Verdict.REJECTED, "status query reports " + declined.failureCode() + ", not success",
              reference, attempt.paymentId());
      case RailOutcome.Declined declined -> apply(row, attempt, declined);
      default -> unconfirmed(row, attempt, callback, reference);
    });
  }

  /**
   * The rail has not confirmed the report yet: re-checked until {@code unconfirmed-window} from
   * its arrival; then a success becomes an exception with the money in suspense, a failure is
   * left to the reconciler's status queries (no money moved).
   */
  private Mono<Void> unconfirmed(Inbox.Row row, Attempt attempt, RailCallback callback, String reference) {
    boolean windowOver = row.receivedAt().plus(properties.unconfirmedWindow()).isBefore(clock.instant());
    if (!windowOver) {
      Duration wait = properties.retryBackoff().multipliedBy(1L << Math.min(row.attempts() - 1, 20));
      return inbox.retryLater(row.id(), wait.compareTo(properties.unconfirmedMaxBackoff()) > 0
          ? properties.unconfirmedMaxBackoff() : wait, "not yet confirmed by the rail");
    }
    if (!(callback.outcome() instanceof RailOutcome.Approved)) {
      return decide(row, Inbox.Verdict.REJECTED, "failure never confirmed by the rail; left to status queries",
          reference, attempt.paymentId());
    }
    meters.counter("malipo.callbacks.unconfirmed", "rail", row.rail()).increment();
    log.error("ALERT inbox row {}: success for payment {} not confirmed by the rail within {}; exception opened",
        row.id(), attempt.paymentId(), properties.unconfirmedWindow());
    return tx.transactional(exceptions.openUnconfirmedSuccess(attempt.paymentId(), row.rail(),
            "callback " + row.id() + " reported success; the rail's status query never confirmed it")
        .then(decide(row, Inbox.Verdict.REJECTED, "success not confirmed within " + properties.unconfirmedWindow()
            + "; operator exception opened", reference, attempt.paymentId())));
  }

  private Mono<Void> apply(Inbox.Row row, Attempt attempt, RailOutcome outcome) {
    Mono<Void> work = resolutions.apply(attempt, outcome).flatMap(result -> decide(row, switch (result) {
      case APPLIED -> Inbox.Verdict.APPLIED;
      case DUPLICATE -> Inbox.Verdict.DUPLICATE;
      case LATE -> Inbox.Verdict.LATE;
    }, result.name().toLowerCase(java.util.Locale.ROOT), attempt.railReference(), attempt.paymentId()));
    return tx.transactional(work);
  }

  private Mono<Void> decide(Inbox.Row row, Inbox.Verdict verdict, String detail, String reference, String paymentId) {
    meters.counter("malipo.callbacks.verdicts", "rail", row.rail(), "verdict", verdict.wireName()).increment();
    return inbox.decide(row.id(), verdict, detail, reference, paymentId);
  }

  /**
   * Null when the callback agrees with the attempt, else what differs (no personal data). A success
   * without an amount is accepted only from a rail whose status query confirms it (Airtel's
   * callback carries none: rails.md §3.4).
   */
  private static String mismatch(RailCallback callback, Attempt attempt, boolean confirmed) {
    Money reported = callback.amount();
    if (reported != null && !reported.equals(attempt.amount())) {
      return "amount " + reported + " reported, " + attempt.amount() + " requested";
    }
    if (callback.payerMsisdn() != null && attempt.msisdn() != null && !Objects.equals(callback.payerMsisdn(), attempt.msisdn())) {
      return "payer differs";
    }
    if (callback.outcome() instanceof RailOutcome.Approved && reported == null && !confirmed) {
      return "success without amount";
    }
    return null;
  }

  private boolean confirms(RailAdapter rail) {
    if (MpesaRail.NAME.equals(rail.name())) {
      return properties.confirmMpesa();
    }
    // Issue 22's rails are always confirmed: Airtel and Orange sign nothing, and even Paystack and
    // Flutterwave say to verify before giving value (rails.md §4.3, §5).
    return !"mtn_momo".equals(rail.name()) || properties.confirmMtnMomo();
  }

  private boolean exhausted(Inbox.Row row) {
    return row.attempts() >= properties.maxAttempts();
  }

  private Duration backoff(Inbox.Row row) {
    return properties.retryBackoff().multipliedBy(1L << Math.min(row.attempts() - 1, 6));
  }
}
