package org.malipo.gateway.callback;

import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.payment.PaymentResolutions.DuePayment;
import org.malipo.gateway.payment.PaymentResolutions;
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
 * Resolves payments still {@code pending} when no callback came: every {@code sweep-interval} it
 * claims due payments (a guarded update, safe across instances), asks the rail (STK query, MoMo
 * status GET, each limited like any rail call) and applies a final answer. Queries back off
 * (doubling intervals); after {@code pending-max-checks} without a final answer the payment fails
 * with {@code timeout}, so no payment stays pending forever (INVARIANTS.md 11). A success the rail
 * confirms later then goes to suspense as late funds.
 */
@Component
final class PendingPaymentSweeper extends BackgroundJob {

  private static final Logger log = LoggerFactory.getLogger(PendingPaymentSweeper.class);
  private static final int BATCH = 50;
  private static final int CONCURRENCY = 8;

  private final PaymentResolutions resolutions;
  private final RailRegistry rails;
  private final CallbackProperties properties;
  private final TransactionalOperator tx;

  PendingPaymentSweeper(PaymentResolutions resolutions, RailRegistry rails, CallbackProperties properties,
      ReactiveTransactionManager transactionManager) {
    this.resolutions = resolutions;
    this.rails = rails;
    this.properties = properties;
    this.tx = TransactionalOperator.create(transactionManager);
  }

  @Override
  protected Disposable launch() {
    return everyInterval(properties.sweepInterval(), log, "pending sweep", this::sweep);
  }

  /** One pass: at most {@value #BATCH} due payments, {@value #CONCURRENCY} at a time. */
  Mono<Long> sweep() {
    return resolutions.claimDue(properties.pendingFirstCheck(), properties.pendingCheckInterval(), BATCH)
        .flatMap(due -> check(due).onErrorResume(error -> {
          log.warn("payment {}: status check failed, retried later: {}", due.attempt().paymentId(), error.toString());
          return Mono.empty();
        }).thenReturn(1L), CONCURRENCY)
        .count();
  }

  private Mono<Void> check(DuePayment due) {
    RailAdapter rail = due.attempt().rail() == null ? null : rails.byName(due.attempt().rail()).orElse(null);
    Mono<RailOutcome> status = rail == null || due.attempt().railReference() == null
        ? Mono.just(new RailOutcome.Unknown(String.valueOf(due.attempt().rail()), "no rail reference"))
        : rail.queryStatus(due.attempt().railReference());
    return status.flatMap(outcome -> {
      RailOutcome decision = switch (outcome) {
        case RailOutcome.Approved a -> a;
        case RailOutcome.Declined d -> d;
        default -> due.statusChecks() >= properties.pendingMaxChecks()
            ? new RailOutcome.Declined(due.attempt().rail(), due.attempt().railReference(), "no_final_status", "timeout",
                "The payment was not confirmed in time.")
            : null;
      };
      if (decision == null) {
        return Mono.empty();
      }
      return tx.transactional(resolutions.apply(due.attempt(), decision)).then();
    });
  }
}
