package org.malipo.gateway.rail;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import reactor.core.publisher.Mono;

/**
 * A rail decorator's base: every call goes to the decorated rail unchanged, so a decorator
 * ({@link ResilientRail}, the router's health-observing wrapper) overrides only what it adds to.
 */
public abstract class ForwardingRail implements RailAdapter {

  /** The decorated rail. */
  protected final RailAdapter delegate;

  /** @param delegate the rail every call is forwarded to */
  protected ForwardingRail(RailAdapter delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
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
  public Set<PaymentMethodType> methodTypes() {
    return delegate.methodTypes();
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
  public Set<MobileMoneyOperator> operators() {
    return delegate.operators();
  }

  @Override
  public boolean serves(PaymentInstrument instrument, CurrencyUnit currency) {
    return delegate.serves(instrument, currency);
  }

  @Override
  public boolean supportsRefunds() {
    return delegate.supportsRefunds();
  }

  @Override
  public Mono<RailOutcome> authorize(RailRequest request) {
    return delegate.authorize(request);
  }

  @Override
  public boolean supportsManualCapture() {
    return delegate.supportsManualCapture();
  }

  @Override
  public Mono<OperationOutcome> operate(AuthorizationOperation operation) {
    return delegate.operate(operation);
  }

  @Override
  public Mono<OperationOutcome> queryOperation(AuthorizationOperation operation) {
    return delegate.queryOperation(operation);
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
  public String statusReference(String attemptId, String railReference) {
    return delegate.statusReference(attemptId, railReference);
  }

  @Override
  public RailCallback readCallback(byte[] body, String referenceHint) {
    return delegate.readCallback(body, referenceHint);
  }

  @Override
  public boolean authentic(byte[] body, java.util.function.Function<String, String> header) {
    return delegate.authentic(body, header);
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
