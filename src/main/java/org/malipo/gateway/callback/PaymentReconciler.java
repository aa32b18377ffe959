package org.malipo.gateway.callback;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Supplier;
import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.common.TraceScope;
import org.malipo.gateway.payment.PaymentCaptures;
import org.malipo.gateway.payment.PaymentResolutions;
import org.malipo.gateway.payment.PaymentResolutions.CheckSchedule;
import org.malipo.gateway.payment.PaymentResolutions.DuePayment;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRegistry;
import org.malipo.gateway.refund.RefundRecovery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The one reconciler of payments that are not final (docs/adr/0065-payment-lifecycle.md). Every
 * {@code sweep-interval} it claims due payments (a guarded update, safe on many instances;
 * {@value #BATCH} a pass, {@value #CONCURRENCY} at once, each rail call limited like any other)
 * and settles them through the rail's status query and the one writer:
 *
 * <table>
 *   <caption>Cases and their give-up policy</caption>
 *   <tr><th>case</th><th>first check</th><th>action</th><th>gives up</th></tr>
 *   <tr><td>processing, no attempt</td><td>{@code processing-first-check}</td>
 *       <td>failed {@code provider_unavailable}: surely never sent</td><td>never needed</td></tr>
 *   <tr><td>processing, attempt in flight or unknown</td><td>{@code processing-first-check}</td>
 *       <td>status query by the attempt's key; a final answer is applied; never re-sent, never
 *       failed over</td><td>after {@code unconfirmed-window}: exception {@code unknown_attempt},
 *       still queried</td></tr>
 *   <tr><td>pending (callback awaited)</td><td>{@code pending-first-check}</td>
 *       <td>status query; fails only when the rail says so (e.g. the STK push expired)</td>
 *       <td>after {@code unconfirmed-window}: exception {@code unknown_attempt}, still queried</td></tr>
 *   <tr><td>refund pending (its answer was lost)</td><td>{@code pending-first-check}</td>
 *       <td>the same refund sent again under its id (the rail's idempotency key); only a final
 *       answer is recorded</td><td>after {@code unconfirmed-window}: exception {@code
 *       unknown_refund}, still checked</td></tr>
 * </table>
 *
 * <p>Checks back off by doubling from the rail's {@code rail-check-intervals} entry, else {@code
 * pending-check-interval}. Unconfirmed callbacks are
 * re-checked by {@link CallbackProcessor} under the same window. Counter {@code
 * malipo.reconciler.checks{case, answer}}.
 */
@Component
final class PaymentReconciler extends BackgroundJob {

  private static final Logger log = LoggerFactory.getLogger(PaymentReconciler.class);
  private static final int BATCH = 50;
  private static final int CONCURRENCY = 8;

  private final PaymentResolutions resolutions;
  private final RailRegistry rails;
  private final CallbackProperties properties;
  private final ExceptionCases exceptions;
  private final RefundRecovery refunds;
  private final PaymentCaptures captures;
  private org.malipo.gateway.payment.ThreeDSecure threeDSecure;

  /** 3-D Secure timeouts (issue 20): set by Spring after construction, so the constructor stays as it was. */
  @org.springframework.beans.factory.annotation.Autowired
  void setThreeDSecure(org.malipo.gateway.payment.ThreeDSecure threeDSecure) {
    this.threeDSecure = threeDSecure;
  }
  private final TransactionalOperator tx;
  private final MeterRegistry meters;
  private final Clock clock;
  /** Null when tracing is off: resolutions then run without a span (and nothing of this costs). */
  private final Tracer tracer;

  PaymentReconciler(PaymentResolutions resolutions, RailRegistry rails, CallbackProperties properties,
      ExceptionCases exceptions, RefundRecovery refunds, PaymentCaptures captures,
      ReactiveTransactionManager transactionManager, MeterRegistry meters, Clock clock, ObjectProvider<Tracer> tracer) {
    this.tracer = TraceScope.active(tracer.getIfAvailable());
    this.refunds = refunds;
    this.captures = captures;
    this.resolutions = resolutions;
    this.rails = rails;
    this.properties = properties;
    this.exceptions = exceptions;
    this.tx = TransactionalOperator.create(transactionManager);
    this.meters = meters;
    this.clock = clock;
  }

  @Override
  protected Disposable launch() {
    return everyInterval(properties.sweepInterval(), log, "payment reconciliation", this::reconcile);
  }

  /** One pass over processing and pending payments and pending refunds; emits how many payments were checked. */
  Mono<Long> reconcile() {
    Flux<Long> processing = resolutions.claimProcessing(new CheckSchedule(properties.processingFirstCheck(),
            properties.pendingCheckInterval(), properties.railCheckIntervals()), BATCH)
        .flatMap(due -> guarded(due, traced(due, "processing", () -> checkProcessing(due))), CONCURRENCY);
    Flux<Long> pending = resolutions.claimDue(new CheckSchedule(properties.pendingFirstCheck(),
            properties.pendingCheckInterval(), properties.railCheckIntervals()), BATCH)
        .flatMap(due -> guarded(due, traced(due, "pending", () -> checkPending(due))), CONCURRENCY);
    Mono<Void> pendingRefunds = refunds.reconcile(properties.pendingFirstCheck(), properties.pendingCheckInterval(),
            properties.unconfirmedWindow(), BATCH, CONCURRENCY)
        .concatMap(unsettled -> {
          count("refund", "still_unknown");
          return exceptions.openUnknownRefund(unsettled.refundId(), unsettled.paymentId(), unsettled.rail(),
              "no final answer from the rail for refund " + unsettled.refundId() + " within " + properties.unconfirmedWindow());
        })
        .then();
    // Captures and voids whose answer was lost, and holds past malipo.payments.authorization-ttl.
    Mono<Long> held = captures.reconcile(properties.processingFirstCheck(), properties.pendingCheckInterval(), BATCH,
        CONCURRENCY);
    // requires_action past malipo.payments.authentication-timeout: failed, authentication_timeout.
    Mono<Long> unauthenticated = threeDSecure == null ? Mono.just(0L) : threeDSecure.expireAuthentications(BATCH)
        .doOnNext(failed -> { if (failed > 0) { count("requires_action", "authentication_timeout"); } })
        .onErrorResume(error -> {
          log.warn("3-D Secure timeouts: pass failed, retried later: {}", error.toString());
          return Mono.just(0L);
        });
    return processing.concatWith(pending).count()
        .flatMap(checked -> pendingRefunds.then(held).then(unauthenticated).thenReturn(checked));
  }

  private Mono<Long> guarded(DuePayment due, Mono<Void> check) {
    return check.onErrorResume(error -> {
      log.warn("payment {}: reconciliation failed, retried later: {}", due.attempt().paymentId(), error.toString());
      return Mono.empty();
    }).thenReturn(1L);
  }

  /**
   * One payment's check in a span {@code reconciler.resolve} whose parent is the span that
   * recorded the payment (docs/adr/0089): its status query, statements and events join the
   * payment's trace. Only with a real tracer: with tracing off the check runs as it is.
   */
  private Mono<Void> traced(DuePayment due, String kase, Supplier<Mono<Void>> check) {
    if (tracer == null) {
      return check.get();
    }
    return TraceScope.joined(tracer, due.attempt().traceparent(), "reconciler.resolve", null, // internal
        span -> span.tag("malipo.payment", due.attempt().paymentId()).tag("malipo.reconciler.case", kase)
            .tag("malipo.reconciler.checks", String.valueOf(due.statusChecks())),
        check);
  }

  private Mono<Void> checkProcessing(DuePayment due) {
    if (due.attempt().attemptId() == null) {
      count("never_sent", "failed");
      String paymentId = due.attempt().paymentId();
      // An instance that died between sealing a 3-D Secure card and the requires_action write
      // leaves the card in Redis: it goes with the payment's failure, not at its TTL (only then: a
      // payment that moved on meanwhile may be a live requires_action).
      return tx.transactional(resolutions.failNeverSent(paymentId))
          .filter(result -> result == PaymentResolutions.Result.APPLIED && threeDSecure != null)
          .flatMap(applied -> threeDSecure.forgetSealedCard(paymentId));
    }
    return query(due).flatMap(outcome -> switch (outcome) {
      case RailOutcome.Approved a -> apply(due, a, "processing", "approved");
      case RailOutcome.Declined d -> apply(due, d, "processing", "declined");
      case RailOutcome.NotAttempted n -> apply(due, n, "processing", "not_processed");
      default -> unsettled(due, "processing", outcome);
    });
  }

  private Mono<Void> checkPending(DuePayment due) {
    return query(due).flatMap(outcome -> switch (outcome) {
      case RailOutcome.Approved a -> tx.transactional(resolutions.apply(due.attempt(), a)).doOnSuccess(r -> count("pending", "approved")).then();
      case RailOutcome.Declined d -> tx.transactional(resolutions.apply(due.attempt(), d)).doOnSuccess(r -> count("pending", "declined")).then();
      default -> unsettled(due, "pending", outcome);
    });
  }

  /** The rail's status of the attempt; unknown when the rail is gone or the attempt has no key yet. */
  private Mono<RailOutcome> query(DuePayment due) {
    String railName = String.valueOf(due.attempt().rail());
    RailAdapter rail = rails.byName(railName).orElse(null);
    String key = rail == null ? null : rail.statusReference(due.attempt().attemptId(), due.attempt().railReference());
    if (key == null) {
      return Mono.just(new RailOutcome.Unknown(railName, rail == null ? "rail not configured" : "no key to query yet"));
    }
    return rail.queryStatus(key);
  }

  private Mono<Void> apply(DuePayment due, RailOutcome outcome, String kase, String answer) {
    count(kase, answer);
    return tx.transactional(resolutions.resolveUnknown(due.attempt(), outcome)).then();
  }

  /**
   * No final answer yet: checked again later; past the window an operator-visible exception is
   * opened (once), and the checks go on, so a late answer still settles the payment.
   */
  private Mono<Void> unsettled(DuePayment due, String kase, RailOutcome outcome) {
    count(kase, "still_unknown");
    log.info("payment {}: attempt {} not settled after {} checks ({})", due.attempt().paymentId(),
        due.attempt().attemptId(), due.statusChecks(), outcome instanceof RailOutcome.Unknown u ? u.reason()
            : outcome.getClass().getSimpleName());
    Duration age = Duration.between(due.createdAt(), clock.instant());
    if (age.compareTo(properties.unconfirmedWindow()) < 0) {
      return Mono.empty();
    }
    return exceptions.openUnknownAttempt(due.attempt().paymentId(), due.attempt().rail(),
        "no final answer from the rail after " + due.statusChecks() + " status checks over " + age.toHours() + " h");
  }

  private void count(String kase, String answer) {
    meters.counter("malipo.reconciler.checks", "case", kase, "answer", answer).increment();
    if (kase.equals("processing")) {
      // The name SREs already graph for unknown attempts (docs/adr/0042).
      meters.counter("malipo.payments.unknown.queries", "answer", answer).increment();
    }
  }
}
