package org.malipo.gateway.refund;

import java.time.Clock;
import java.time.Duration;
import org.malipo.gateway.common.Money;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The refunds module's port for the reconciler (docs/adr/0065-payment-lifecycle.md): settles
 * refunds left {@code pending} by an unknown rail answer, by sending the same refund again under
 * its id (the rail's idempotency key), in bounded batches, safe on many instances.
 */
@Component
public final class RefundRecovery {

  private static final Logger log = LoggerFactory.getLogger(RefundRecovery.class);

  private final RefundRepository refunds;
  private final RefundService service;
  private final Clock clock;

  RefundRecovery(RefundRepository refunds, RefundService service, Clock clock) {
    this.refunds = refunds;
    this.service = service;
    this.clock = clock;
  }

  /**
   * A refund still pending after the window: the reconciler hands it to operators.
   *
   * @param amount minor units
   */
  public record Unsettled(String refundId, String paymentId, String merchantId, String rail, Money amount) {}

  /**
   * One pass: claims due pending refunds and asks their rail again.
   *
   * @param firstAfter time after a refund's last change before its first check
   * @param interval first interval between checks, doubling
   * @param window how long a refund may stay pending before it is reported unsettled
   * @param limit refunds claimed in this pass
   * @param concurrency rail calls at once
   * @return the refunds still pending after {@code window}; errors of one refund are logged and it
   *     is checked again later
   */
  public Flux<Unsettled> reconcile(Duration firstAfter, Duration interval, Duration window, int limit, int concurrency) {
    return refunds.claimPending(firstAfter, interval, limit)
        .flatMap(due -> service.recover(due)
            .onErrorResume(error -> {
              log.warn("refund {}: reconciliation failed, retried later: {}", due.refund().id(), error.toString());
              return Mono.just(false);
            })
            .flatMap(settled -> {
              Refund refund = due.refund();
              if (settled || refund.createdAt().plus(window).isAfter(clock.instant())) {
                return Mono.empty();
              }
              return Mono.just(new Unsettled(refund.id(), refund.paymentId(), refund.merchantId(), refund.rail(),
                  refund.amount()));
            }), concurrency);
  }
}
