package org.malipo.gateway.routing;

import org.malipo.gateway.rail.ForwardingRail;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import reactor.core.publisher.Mono;

/**
 * A candidate rail as the router hands it out: each authorization's outcome and wall time feed
 * {@link RailHealth}, so whoever calls the rail (the payment pipeline) need not report back.
 * Everything else passes straight through ({@link ForwardingRail}).
 */
final class ObservedRail extends ForwardingRail {

  private final RailHealth health;

  ObservedRail(RailAdapter delegate, RailHealth health) {
    super(delegate);
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
}
