package org.malipo.gateway.rail;

import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import java.util.Optional;
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

  /** The payment method this rail serves (its first, for a rail serving several). */
  PaymentMethodType methodType();

  /**
   * Every payment method this rail serves: {@link #methodType()} alone by default; Paystack and
   * Flutterwave take cards and mobile money.
   */
  default Set<PaymentMethodType> methodTypes() {
    return Set.of(methodType());
  }

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

  /**
   * Whether this rail can hold an authorization and capture or void it later (manual capture,
   * docs/adr/0082-authorization-holds.md). Rails that cannot keep this default, {@code false}; a
   * payment with {@code capture_method: "manual"} is then never routed to them.
   */
  default boolean supportsManualCapture() {
    return false;
  }

  /**
   * Sends a capture (completion) or void (reversal) of a held authorization, with the operation id
   * as idempotency key. Rails without manual capture keep this default.
   *
   * @return the outcome; errors as for {@link #authorize} (a timeout is unknown)
   */
  default Mono<OperationOutcome> operate(AuthorizationOperation operation) {
    return Mono.just(new OperationOutcome.NotAttempted(name(), "manual capture is not supported by this rail"));
  }

  /**
   * The status query of a capture or void whose answer was lost: looks it up by the idempotency
   * key it was sent with. Never sends it again.
   *
   * @return {@link OperationOutcome.Done} or {@link OperationOutcome.Refused} (the stored answer),
   *     {@link OperationOutcome.NotAttempted} (never processed under this key, and the key is now
   *     fenced) or {@link OperationOutcome.Unknown}
   */
  default Mono<OperationOutcome> queryOperation(AuthorizationOperation operation) {
    return Mono.just(new OperationOutcome.Unknown(name(), "this rail has no operation status query"));
  }

  /** The mobile-money operator this rail serves; empty for card rails. */
  default Optional<MobileMoneyOperator> operator() {
    return Optional.empty();
  }

  /**
   * Every mobile-money operator whose wallets this rail can collect from: the one of
   * {@link #operator()} for an operator's own rail, several for an aggregator (Paystack collects
   * from MTN, Telecel and AirtelTigo wallets in Ghana; Flutterwave from several operators).
   * Empty for card rails.
   */
  default Set<MobileMoneyOperator> operators() {
    return operator().map(Set::of).orElse(Set.of());
  }

  /**
   * Whether this rail can serve this instrument at all, beyond method, operator and currency: an
   * aggregator that serves an operator in some countries only (Flutterwave takes Orange Money in
   * C\u00f4te d'Ivoire and Senegal) looks at the payer's country here. Pure CPU.
   *
   * @param instrument the card or wallet to charge
   * @param currency the payment's currency (Flutterwave takes cards in NGN only)
   */
  default boolean serves(PaymentInstrument instrument, CurrencyUnit currency) {
    return true;
  }

  /**
   * Whether this rail has a refund API. A refund of a payment captured by a rail without one
   * fails with {@code refund_not_supported} before anything is reserved.
   */
  default boolean supportsRefunds() {
    return true;
  }

  /**
   * Asks the rail for the current status of an earlier request (M-Pesa STK query, MoMo status
   * GET, a card acquirer's look-up by Idempotency-Key), for rails that answer later and for
   * attempts whose answer was lost.
   *
   * @param railReference the reference the rail gave in its {@link RailOutcome.Pending}; for an
   *     {@link RailOutcome.Unknown} attempt, which has none, our attempt id (the idempotency
   *     reference sent with the request)
   * @return {@link RailOutcome.Approved}, {@link RailOutcome.Declined}, {@link RailOutcome.Pending}
   *     (not final yet), {@link RailOutcome.NotAttempted} (the rail never processed the request and
   *     will not any more: surely not charged) or {@link RailOutcome.Unknown}; an error is treated
   *     as unknown. Rails
   *     without a status query (synchronous card acquirers) keep this default, which always
   *     answers {@link RailOutcome.Unknown}: the outcome must come from the rail's own reports.
   */
  default Mono<RailOutcome> queryStatus(String railReference) {
    return Mono.just(new RailOutcome.Unknown(name(), "this rail has no status query"));
  }

  /**
   * The key this rail's {@link #queryStatus} takes for an attempt, or null when the attempt cannot
   * be queried yet (then only the rail's callback can settle it). The default: the rail's own
   * reference once known, else our attempt id, which the rail received as its idempotency
   * reference (card acquirers).
   *
   * @param attemptId our attempt id ({@code att_…})
   * @param railReference the rail's reference of the attempt, or null when its answer was lost
   */
  default String statusReference(String attemptId, String railReference) {
    return railReference != null ? railReference : attemptId;
  }

  /**
   * Reads one callback body in the rail's wire format. Pure CPU, no I/O.
   *
   * @param body the raw body as received
   * @param referenceHint the reference the gateway put in the callback URL, or null
   * @return what the callback reports
   * @throws IllegalArgumentException when the body is not a callback of this rail; always, for
   *     rails that send no callbacks (this default), so such a body is rejected like any other
   *     unreadable one
   */
  default RailCallback readCallback(byte[] body, String referenceHint) {
    throw new IllegalArgumentException(name() + " sends no callbacks");
  }

  /**
   * Whether a callback is authentic by the rail's own signature scheme (Paystack:
   * {@code x-paystack-signature}; Flutterwave: {@code verif-hash}). Rails that sign nothing keep
   * this default, {@code true}: their callbacks are only hints, confirmed by the status query.
   * Pure CPU, constant-time comparisons.
   *
   * @param body the raw body as received, before any parsing
   * @param header the request's header values by name (case-insensitive), null when absent
   */
  default boolean authentic(byte[] body, java.util.function.Function<String, String> header) {
    return true;
  }
}
