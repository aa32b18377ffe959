package org.malipo.gateway.refund;

import org.malipo.gateway.rail.RefundOutcome;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The refunds module's port for rails that answer a refund later (M-Pesa Reversal results, issue
 * 21): a final result settles a pending refund once, through the same writes as a synchronous
 * answer (status, release of a refused refund, event).
 */
@Component
public final class RefundResults {

  private final RefundService service;

  RefundResults(RefundService service) {
    this.service = service;
  }

  /**
   * Applies a rail's result to refund {@code refundId}.
   *
   * @param outcome {@link RefundOutcome.Refunded} or {@link RefundOutcome.Refused} settle it;
   *     anything else changes nothing
   * @return {@code applied}, {@code duplicate} (already final), {@code orphan} (no such refund) or
   *     {@code pending}
   */
  public Mono<String> apply(String refundId, RefundOutcome outcome) {
    return service.applyResult(refundId, outcome);
  }
}
