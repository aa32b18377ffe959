package org.malipo.gateway.callback;

import io.micrometer.core.instrument.MeterRegistry;
import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.payment.PaymentResolutions;
import org.malipo.gateway.payment.PaymentResolutions.DuePayment;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Resolves payments left {@code processing} by an unknown attempt (the rail may have charged: a
 * timeout after the request was sent, an unreadable answer) through the rail's status query,
 * looked up by our attempt id, which the rail received as its idempotency reference
 * (docs/adr/0042-unknown-card-attempts.md).
 *
 * <p>Every {@code sweep-interval} it claims due payments (a guarded update, safe across
 * instances; first {@code pending-first-check} after the attempt, then doubling from
 * {@code pending-check-interval}), asks the rail through its {@code ResilientRail} and applies a
 * final answer once: approved → {@code succeeded} with one capture; declined or never processed →
 * {@code failed}. It never sends the authorization again and never gives up on its own: an answer
 * that is not final leaves the payment {@code processing} for the next query.
 *
 * <p>Each query counts in {@code malipo.payments.unknown.queries{answer}}: {@code approved},
 * {@code declined}, {@code not_processed}, or {@code still_unknown} (the one to alert on).
 */
@Component
final class UnknownAttemptReconciler extends BackgroundJob {

  private static final Logger log = LoggerFactory.getLogger(UnknownAttemptReconciler.class);
  private static final int BATCH = 50;
  private static final int CONCURRENCY = 8;

  private final PaymentResolutions resolutions;
  private final RailRegistry rails;
  private final CallbackProperties properties;
  private final TransactionalOperator tx;
  private final MeterRegistry meters;

  UnknownAttemptReconciler(PaymentResolutions resolutions, RailRegistry rails, CallbackProperties properties,
      ReactiveTransactionManager transactionManager, MeterRegistry meters) {
    this.resolutions = resolutions;
    this.rails = rails;
    this.properties = properties;
    this.tx = TransactionalOperator.create(transactionManager);
    this.meters = meters;
  }

  @Override
  protected Disposable launch() {
    return everyInterval(properties.sweepInterval(), log, "unknown-attempt reconciliation", this::reconcile);
  }

  /** One pass: at most {@value #BATCH} due payments, {@value #CONCURRENCY} at a time; emits how many were queried. */
  Mono<Long> reconcile() {
    return resolutions.claimUnknown(properties.pendingFirstCheck(), properties.pendingCheckInterval(), BATCH)
        .flatMap(due -> check(due).onErrorResume(error -> {
          log.warn("payment {}: status query of unknown attempt {} failed, retried later: {}",
              due.attempt().paymentId(), due.attempt().attemptId(), error.toString());
          return Mono.empty();
        }).thenReturn(1L), CONCURRENCY)
        .count();
  }

  private Mono<Void> check(DuePayment due) {
    RailAdapter rail = due.attempt().rail() == null ? null : rails.byName(due.attempt().rail()).orElse(null);
    if (rail == null || due.attempt().attemptId() == null) {
      log.warn("payment {}: unknown attempt on rail {} that is not configured; left processing",
          due.attempt().paymentId(), due.attempt().rail());
      return Mono.empty();
    }
    return rail.queryStatus(due.attempt().attemptId()).flatMap(outcome -> switch (outcome) {
      case RailOutcome.Approved a -> apply(due, a, "approved");
      case RailOutcome.Declined d -> apply(due, d, "declined");
      case RailOutcome.NotAttempted n -> apply(due, n, "not_processed");
      default -> {
        meters.counter("malipo.payments.unknown.queries", "answer", "still_unknown").increment();
        log.info("payment {}: attempt {} still unknown after {} status queries ({})", due.attempt().paymentId(),
            due.attempt().attemptId(), due.statusChecks(), describe(outcome));
        yield Mono.empty();
      }
    });
  }

  private Mono<Void> apply(DuePayment due, RailOutcome outcome, String answer) {
    meters.counter("malipo.payments.unknown.queries", "answer", answer).increment();
    return tx.transactional(resolutions.resolveUnknown(due.attempt(), outcome)).then();
  }

  private static String describe(RailOutcome outcome) {
    return outcome instanceof RailOutcome.Unknown unknown ? unknown.reason() : outcome.getClass().getSimpleName();
  }
}
