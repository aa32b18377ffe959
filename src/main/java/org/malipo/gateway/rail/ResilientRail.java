package org.malipo.gateway.rail;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.reactor.bulkhead.operator.BulkheadOperator;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.github.resilience4j.reactor.ratelimiter.operator.RateLimiterOperator;
import io.github.resilience4j.reactor.timelimiter.TimeLimiterOperator;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.netty.handler.timeout.ReadTimeoutException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * A {@link RailAdapter} decorator that applies a time limiter, circuit breaker, rate limiter and
 * bulkhead (Resilience4j) around one rail and turns every failure into a {@link RailOutcome}.
 *
 * <p>Its {@link #authorize} never signals an error and never completes empty:
 *
 * <ul>
 *   <li>a {@link RailException} with {@code surelyNotCharged}, an open circuit, a full bulkhead or
 *       an exceeded rate become {@link RailOutcome.NotAttempted}: nothing reached the rail, the
 *       next rail may be tried;
 *   <li>a timeout and any other error become {@link RailOutcome.Unknown}: the rail may have acted,
 *       so the attempt is reconciled and never retried elsewhere (ADR 0003).
 * </ul>
 *
 * <p>Order, innermost first: time limiter (so the circuit breaker counts timeouts), circuit
 * breaker, rate limiter, bulkhead. The circuit breaker sits inside the shedding stages, so calls
 * we refuse ourselves never count against the rail's health. Declines are values, so they count
 * as successes; an {@link RailOutcome.Unknown} answer counts as a failure.
 */
public final class ResilientRail extends ForwardingRail {

  private static final Logger log = LoggerFactory.getLogger(ResilientRail.class);

  private final CircuitBreaker circuitBreaker;
  private final Bulkhead bulkhead;
  private final RateLimiter rateLimiter;
  private final TimeLimiter timeLimiter;

  private ResilientRail(
      RailAdapter delegate, CircuitBreaker circuitBreaker, Bulkhead bulkhead, RateLimiter rateLimiter,
      TimeLimiter timeLimiter) {
    super(delegate);
    this.circuitBreaker = circuitBreaker;
    this.bulkhead = bulkhead;
    this.rateLimiter = rateLimiter;
    this.timeLimiter = timeLimiter;
    circuitBreaker.getEventPublisher().onStateTransition(event ->
        log.warn("rail {}: circuit {}", delegate.name(), event.getStateTransition()));
  }

  /**
   * Decorates {@code delegate} with Resilience4j components of its own, outside any registry
   * (tests, tools).
   *
   * @param delegate the undecorated rail
   * @param limits its limits
   */
  public static ResilientRail of(RailAdapter delegate, RailLimits limits) {
    return of(delegate, limits, ResilienceRegistries.create());
  }

  /**
   * Decorates {@code delegate} with components created in {@code registries} under the rail's
   * name, so that their metrics are published.
   *
   * @param delegate the undecorated rail
   * @param limits its limits
   * @param registries where the rail's components are registered
   * @throws IllegalStateException if {@code delegate} is itself a {@code ResilientRail}
   */
  public static ResilientRail of(RailAdapter delegate, RailLimits limits, ResilienceRegistries registries) {
    if (delegate instanceof ResilientRail) {
      throw new IllegalStateException("rail " + delegate.name() + " is already decorated");
    }
    String name = delegate.name();
    return new ResilientRail(
        delegate,
        registries.circuitBreakers().circuitBreaker(name, limits.circuitBreakerConfig()),
        registries.bulkheads().bulkhead(name, limits.bulkheadConfig()),
        registries.rateLimiters().rateLimiter(name, limits.rateLimiterConfig()),
        registries.timeLimiters().timeLimiter(name, limits.timeLimiterConfig()));
  }

  /**
   * Queries the status of an earlier request through the same resilience stages as
   * {@link #authorize}: a status query is limited like any rail call.
   *
   * @return exactly one outcome, never an error: a failure becomes {@link RailOutcome.Unknown}
   */
  @Override
  public Mono<RailOutcome> queryStatus(String railReference) {
    return Mono.defer(() -> delegate.queryStatus(railReference))
        .transformDeferred(TimeLimiterOperator.of(timeLimiter))
        .transformDeferred(CircuitBreakerOperator.of(circuitBreaker))
        .transformDeferred(RateLimiterOperator.of(rateLimiter))
        .transformDeferred(BulkheadOperator.of(bulkhead))
        .switchIfEmpty(Mono.fromSupplier(() -> new RailOutcome.Unknown(name(), "empty_answer")))
        .onErrorResume(error -> Mono.just(new RailOutcome.Unknown(name(), "status query: " + switch (outcomeOf(error)) {
          case RailOutcome.NotAttempted n -> n.reason();
          case RailOutcome.Unknown u -> u.reason();
          default -> error.getClass().getSimpleName();
        })))
        .checkpoint("rail.queryStatus", true);
  }

  /** The circuit's current state, for routing by rail health and for diagnostics. */
  public CircuitBreaker.State circuitState() {
    return circuitBreaker.getState();
  }

  /**
   * Whether a call made now would be refused by the gateway itself, without reaching the rail:
   * the circuit is open (or forced open), the bulkhead is full or this second's rate is used up.
   * A snapshot for ranking; the next call may still find room (or none).
   */
  public boolean refusesCalls() {
    CircuitBreaker.State state = circuitBreaker.getState();
    return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN
        || bulkhead.getMetrics().getAvailableConcurrentCalls() <= 0
        || rateLimiter.getMetrics().getAvailablePermissions() <= 0;
  }

  /**
   * Sends one authorization through the resilience stages.
   *
   * @return exactly one outcome, never an error and never empty; the call takes at most the
   *     rail's call timeout (plus scheduling)
   */
  @Override
  public Mono<RailOutcome> authorize(RailRequest request) {
    return Mono.defer(() -> delegate.authorize(request))
        .transformDeferred(TimeLimiterOperator.of(timeLimiter))
        .transformDeferred(CircuitBreakerOperator.of(circuitBreaker))
        .transformDeferred(RateLimiterOperator.of(rateLimiter))
        .transformDeferred(BulkheadOperator.of(bulkhead))
        .switchIfEmpty(Mono.fromSupplier(() -> new RailOutcome.Unknown(name(), "empty_answer")))
        .onErrorResume(error -> Mono.just(outcomeOf(error)))
        // handle, not doOnNext: it puts the request's log context into the MDC (api.LogContext).
        .<RailOutcome>handle((outcome, sink) -> {
          logUnknown(outcome, request);
          sink.next(outcome);
        })
        .checkpoint("rail.authorize", true);
  }

  /**
   * Sends one refund through the same stages as authorizations.
   *
   * @return exactly one outcome, never an error
   */
  @Override
  public Mono<RefundOutcome> refund(RefundRequest request) {
    return Mono.defer(() -> delegate.refund(request))
        .transformDeferred(TimeLimiterOperator.of(timeLimiter))
        .transformDeferred(CircuitBreakerOperator.of(circuitBreaker))
        .transformDeferred(BulkheadOperator.of(bulkhead))
        .switchIfEmpty(Mono.fromSupplier(() -> new RefundOutcome.Unknown(name(), "empty_answer")))
        .onErrorResume(error -> Mono.just(switch (outcomeOf(error)) {
          case RailOutcome.NotAttempted n -> new RefundOutcome.NotAttempted(n.rail(), n.reason());
          case RailOutcome.Unknown u -> new RefundOutcome.Unknown(u.rail(), u.reason());
          default -> new RefundOutcome.Unknown(name(), "transport_error");
        }))
        .checkpoint("rail.refund", true);
  }

  /**
   * Sends a capture or void through the same stages as authorizations (no rate limiter: it is a
   * second message on money already authorized, not new traffic).
   *
   * @return exactly one outcome, never an error: a timeout or a transport fault after sending is
   *     {@link OperationOutcome.Unknown}
   */
  @Override
  public Mono<OperationOutcome> operate(AuthorizationOperation operation) {
    return Mono.defer(() -> delegate.operate(operation))
        .transformDeferred(TimeLimiterOperator.of(timeLimiter))
        .transformDeferred(CircuitBreakerOperator.of(circuitBreaker))
        .transformDeferred(BulkheadOperator.of(bulkhead))
        .switchIfEmpty(Mono.fromSupplier(() -> new OperationOutcome.Unknown(name(), "empty_answer")))
        .onErrorResume(error -> Mono.just(operationOutcomeOf(error)))
        .checkpoint("rail.operate", true);
  }

  /**
   * The status query of a capture or void, limited like any rail call.
   *
   * @return exactly one outcome, never an error: a failure is {@link OperationOutcome.Unknown}
   */
  @Override
  public Mono<OperationOutcome> queryOperation(AuthorizationOperation operation) {
    return Mono.defer(() -> delegate.queryOperation(operation))
        .transformDeferred(TimeLimiterOperator.of(timeLimiter))
        .transformDeferred(CircuitBreakerOperator.of(circuitBreaker))
        .transformDeferred(BulkheadOperator.of(bulkhead))
        .switchIfEmpty(Mono.fromSupplier(() -> new OperationOutcome.Unknown(name(), "empty_answer")))
        .onErrorResume(error -> Mono.just(new OperationOutcome.Unknown(name(), "status query: "
            + error.getClass().getSimpleName())))
        .checkpoint("rail.queryOperation", true);
  }

  private OperationOutcome operationOutcomeOf(Throwable error) {
    return switch (outcomeOf(error)) {
      case RailOutcome.NotAttempted n -> new OperationOutcome.NotAttempted(n.rail(), n.reason());
      case RailOutcome.Unknown u -> new OperationOutcome.Unknown(u.rail(), u.reason());
      default -> new OperationOutcome.Unknown(name(), "transport_error");
    };
  }

  private RailOutcome outcomeOf(Throwable error) {
    String rail = name();
    return switch (error) {
      case RailException e when e.surelyNotCharged() -> new RailOutcome.NotAttempted(rail, e.getMessage());
      case CallNotPermittedException e -> new RailOutcome.NotAttempted(rail, "circuit_open", true);
      case BulkheadFullException e ->
          new RailOutcome.NotAttempted(rail, "bulkhead_full: " + bulkhead.getBulkheadConfig().getMaxConcurrentCalls()
              + " calls in flight", true);
      case RequestNotPermitted e ->
          new RailOutcome.NotAttempted(rail, "rate_limited: over " + rateLimiter.getRateLimiterConfig().getLimitForPeriod()
              + " calls per second", true);
      // The HTTP client's response timeout is the same duration as the time limiter's; on a busy
      // machine either timer may fire first, and both mean the rail did not answer in time.
      case Throwable e when e instanceof TimeoutException || readTimedOut(e) ->
          new RailOutcome.Unknown(rail, "timeout: no answer within "
              + timeLimiter.getTimeLimiterConfig().getTimeoutDuration().toMillis() + " ms");
      case RailException e -> new RailOutcome.Unknown(rail, e.getMessage());
      // The class name only: a foreign message could quote the request.
      default -> new RailOutcome.Unknown(rail, "transport_error: " + error.getClass().getSimpleName());
    };
  }

  /** Whether the HTTP client gave up waiting for the answer (Netty's read timeout, at any depth). */
  private static boolean readTimedOut(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ReadTimeoutException) {
        return true;
      }
    }
    return false;
  }

  private void logUnknown(RailOutcome outcome, RailRequest request) {
    if (outcome instanceof RailOutcome.Unknown unknown) {
      log.warn("rail {} attempt {}: outcome unknown ({}), to be reconciled", unknown.rail(), request.attemptId(),
          unknown.reason());
    }
  }
}
