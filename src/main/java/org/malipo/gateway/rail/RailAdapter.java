package org.malipo.gateway.rail;

import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import reactor.core.publisher.Mono;

/**
 * The rail SPI: one provider connection (a card acquirer, a mobile-money operator).
 *
 * <p>Implementations are stateless apart from their HTTP client; they map our request to the
 * rail's wire format and the rail's answer back to a {@link RailOutcome}. Resilience (bulkhead,
 * time limiter, circuit breaker) is applied around them by {@link ResilientRail}.
 */
public interface RailAdapter {

  /** Unique rail name used in configuration, routing, metrics and the ledger, e.g. {@code acquirer_a}. */
  String name();

  /** The payment method this rail serves. */
  PaymentMethodType methodType();

  /** Currencies this rail can settle. */
  Set<CurrencyUnit> currencies();

  /**
   * Sends one authorization.
   *
   * @return the outcome; an error signal means a transport fault: a {@link RailException} says
   *     whether the rail surely did not charge; any other error (notably a timeout) is treated as
   *     {@link RailOutcome.Unknown}
   */
  Mono<RailOutcome> authorize(RailRequest request);

  /**
   * Gives back part or all of a captured payment. Rails that cannot refund keep this default.
   *
   * @return the outcome; errors as for {@link #authorize}
   */
  default Mono<RefundOutcome> refund(RefundRequest request) {
    return Mono.just(new RefundOutcome.NotAttempted(name(), "refunds are not supported by this rail"));
  }
}
