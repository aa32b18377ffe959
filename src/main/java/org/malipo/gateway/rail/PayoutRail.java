package org.malipo.gateway.rail;

import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import reactor.core.publisher.Mono;

/**
 * The money-out SPI: one mobile-money operator's payout API (M-Pesa B2C, MTN MoMo Disbursements)
 * and its refunds of collected payments (M-Pesa Reversal, MoMo refund).
 * Stateless apart from the HTTP client and token; maps our request to the wire format and the
 * rail's answers to a {@link PayoutOutcome}. A payout is sent at most once: after the first call
 * only {@link #query} and the rail's own results settle it.
 */
public interface PayoutRail {

  /** The rail name in the ledger and metrics ({@code mpesa}, {@code mtn_momo}). */
  String name();

  /** The operator whose wallets this rail pays. */
  MobileMoneyOperator operator();

  /** Currencies this rail pays out in. */
  Set<CurrencyUnit> currencies();

  /** Whether this rail is a live one (real credentials and host); false for the sandbox. */
  boolean livemode();

  /**
   * Sends one payout, once.
   *
   * @return {@link PayoutOutcome.Pending} when accepted, {@link PayoutOutcome.NotAttempted} when
   *     surely not processed, {@link PayoutOutcome.Unknown} when it may have been, or a final
   *     outcome; never an error signal (transport errors are mapped)
   */
  Mono<PayoutOutcome> send(PayoutRequest request);

  /**
   * Asks the rail about an earlier payout (M-Pesa Transaction Status, MoMo GET transfer).
   *
   * @param payoutId our payout id, the originator reference sent with the payout
   * @param railReference the rail's reference if one was received, else null
   * @return a final outcome, {@link PayoutOutcome.Pending} (not final yet, or the answer comes as
   *     a result callback: M-Pesa), {@link PayoutOutcome.NotFound} or {@link PayoutOutcome.Unknown};
   *     never an error signal
   */
  Mono<PayoutOutcome> query(String payoutId, String railReference);

  /**
   * Reads an asynchronous result the rail posted (M-Pesa B2C {@code Result} or Transaction Status
   * {@code Result}). Pure CPU.
   *
   * @param body the raw body
   * @param kind which of the rail's result URLs received it (see {@link ResultKind})
   * @return the payout id the result is about (its originator reference) and the outcome
   * @throws IllegalArgumentException when the body is not such a result
   */
  default PayoutResult readResult(byte[] body, ResultKind kind) {
    throw new IllegalArgumentException(name() + " posts no payout results");
  }

  /**
   * Gives back part or all of a payment this operator collected (M-Pesa Reversal, MoMo refund).
   * Rails that cannot keep this default.
   *
   * @return the outcome; never an error signal. {@link RefundOutcome.Unknown} when the answer comes
   *     later as a result ({@link #readRefundResult}) or could not be read
   */
  default Mono<RefundOutcome> refund(RefundRequest request) {
    return Mono.just(new RefundOutcome.NotAttempted(name(), "refunds are not supported by this rail"));
  }

  /**
   * Reads an asynchronous refund result (M-Pesa Reversal {@code Result}). Pure CPU.
   *
   * @return the outcome, {@link RefundOutcome.Unknown} for a queue timeout
   * @throws IllegalArgumentException when the body is not such a result
   */
  default RefundOutcome readRefundResult(byte[] body, ResultKind kind) {
    throw new IllegalArgumentException(name() + " posts no refund results");
  }

  /** Which result URL a result came to. */
  enum ResultKind { RESULT, STATUS, TIMEOUT }

  /**
   * One result read from a rail's callback.
   *
   * @param payoutId the originator reference the result names, or null when it names none
   * @param outcome what it reports
   * @param amountMinor the amount it reports in minor units, or null
   */
  record PayoutResult(String payoutId, PayoutOutcome outcome, Long amountMinor) {}
}
