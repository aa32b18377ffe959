package org.malipo.gateway.routing;

import java.util.Optional;
import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailCallback;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import reactor.core.publisher.Mono;

/**
 * A candidate rail as the router hands it out: each authorization's outcome and wall time feed
 * {@link RailHealth}, so whoever calls the rail (the payment pipeline) need not report back.
 * Everything else passes straight through.
 */
final class ObservedRail implements RailAdapter {

  private final RailAdapter delegate;
  private final RailHealth health;

  ObservedRail(RailAdapter delegate, RailHealth health) {
    this.delegate = delegate;
    this.health = health;
  }

  /** Authorizes through the delegate and counts the outcome; the outcome itself is unchanged. */
  @Override
  public Mono<RailOutcome> authorize(RailRequest request) {
    return Mono.defer(() -> {
      long startNanos = System.nanoTime();
      return delegate.authorize(request)
          .doOnNext(outcome -> health.record(delegate.name(), outcome, (System.nanoTime() - startNanos) / 1_000_000));
    });
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public PaymentMethodType methodType() {
    return delegate.methodType();
  }

  @Override
  public Set<CurrencyUnit> currencies() {
    return delegate.currencies();
  }

  @Override
  public Optional<MobileMoneyOperator> operator() {
    return delegate.operator();
  }

  @Override
  public Mono<RefundOutcome> refund(RefundRequest request) {
    return delegate.refund(request);
  }

  @Override
  public Mono<RailOutcome> queryStatus(String railReference) {
    return delegate.queryStatus(railReference);
  }

  @Override
  public RailCallback readCallback(byte[] body, String referenceHint) {
    return delegate.readCallback(body, referenceHint);
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
