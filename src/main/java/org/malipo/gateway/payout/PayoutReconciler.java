package org.malipo.gateway.payout;

import io.micrometer.core.instrument.MeterRegistry;
import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.rail.PayoutOutcome;
import org.malipo.gateway.rail.PayoutRails;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * The payout reconciler (docs/adr/0069-payouts-reserved-first.md): every
 * {@code malipo.payouts.sweep-interval}, claims pending payouts whose status query is due (the
 * first {@code first-check} after creation, then doubling from {@code check-interval}) and asks
 * their rail (M-Pesa Transaction Status, whose answer comes as a result; MoMo GET transfer). A
 * payout is never sent again: a lost answer, a crash between the reservation and the send, or a
 * result that never came are all settled by the query. Safe on many instances (claims skip locked
 * rows and push the next check out).
 */
@Component
final class PayoutReconciler extends BackgroundJob {

  private static final Logger log = LoggerFactory.getLogger(PayoutReconciler.class);

  private final PayoutRepository payouts;
  private final PayoutService service;
  private final PayoutRails rails;
  private final PayoutProperties properties;
  private final MeterRegistry meters;

  PayoutReconciler(PayoutRepository payouts, PayoutService service, PayoutRails rails, PayoutProperties properties,
      MeterRegistry meters) {
    this.payouts = payouts;
    this.service = service;
    this.rails = rails;
    this.properties = properties;
    this.meters = meters;
  }

  @Override
  protected Disposable launch() {
    return everyInterval(properties.sweepInterval(), log, "payout reconciliation pass", this::reconcile);
  }

  /**
   * One pass over due pending payouts.
   *
   * @return how many payouts were checked; one payout's error is logged and it is checked again later
   */
  Mono<Long> reconcile() {
    return payouts.claimDue(properties.firstCheck(), properties.checkInterval(), properties.batchSize())
        .flatMap(payout -> Mono.justOrEmpty(rails.byName(payout.rail()))
            .flatMap(rail -> rail.query(payout.id(), payout.railReference()))
            .defaultIfEmpty(new PayoutOutcome.Unknown(payout.rail(), "rail not configured"))
            .flatMap(outcome -> service.apply(payout, outcome, null)
                .doOnNext(verdict -> meters.counter("malipo.payouts.status.checks", "rail", payout.rail(),
                    "answer", outcome.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)).increment()))
            .onErrorResume(error -> {
              log.warn("payout {}: status check failed, retried later: {}", payout.id(), error.toString());
              return Mono.empty();
            }), properties.concurrency())
        .count();
  }
}
