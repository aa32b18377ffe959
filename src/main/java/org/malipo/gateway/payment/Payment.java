package org.malipo.gateway.payment;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.RailOutcome;

/**
 * A payment as stored: amounts in minor units, the card only as {@link MaskedCard}.
 *
 * @param card the masked card; null for mobile money
 * @param wallet the mobile-money payer; null for cards
 * @param fee the merchant's fee in minor units of the payment currency (zero until captured)
 * @param provider the rail that answered last, or null before any rail call
 * @param attempts number of rail calls started (each committed as an attempt before it left)
 * @param livemode true for a live payment (real rails), false for a test one (sandbox rails);
 *     set once from the credential that created it (docs/adr/0078-test-and-live-mode.md)
 * @param returnUrl the merchant's {@code return_url} after 3-D Secure, or null (the gateway's
 *     result page is used)
 */
record Payment(
    String id,
    String merchantId,
    String idempotencyKey,
    PaymentStatus status,
    Money amount,
    Money fee,
    String reference,
    String description,
    Map<String, String> metadata,
    MaskedCard card,
    MobileWallet wallet,
    String provider,
    Risk risk,
    Failure failure,
    int attempts,
    Instant createdAt,
    Instant updatedAt,
    CaptureMethod captureMethod,
    Money amountCaptured,
    String cancellationReason,
    boolean livemode,
    String returnUrl) {

  /** A payment without a 3-D Secure {@code return_url}. */
  Payment(String id, String merchantId, String idempotencyKey, PaymentStatus status, Money amount, Money fee,
      String reference, String description, Map<String, String> metadata, MaskedCard card, MobileWallet wallet,
      String provider, Risk risk, Failure failure, int attempts, Instant createdAt, Instant updatedAt,
      CaptureMethod captureMethod, Money amountCaptured, String cancellationReason, boolean livemode) {
    this(id, merchantId, idempotencyKey, status, amount, fee, reference, description, metadata, card, wallet, provider,
        risk, failure, attempts, createdAt, updatedAt, captureMethod, amountCaptured, cancellationReason, livemode, null);
  }

  /** A test-mode payment captured as soon as it is authorized (the shape before test/live mode and manual capture). */
  Payment(String id, String merchantId, String idempotencyKey, PaymentStatus status, Money amount, Money fee,
      String reference, String description, Map<String, String> metadata, MaskedCard card, MobileWallet wallet,
      String provider, Risk risk, Failure failure, int attempts, Instant createdAt, Instant updatedAt) {
    this(id, merchantId, idempotencyKey, status, amount, fee, reference, description, metadata, card, wallet, provider,
        risk, failure, attempts, createdAt, updatedAt, CaptureMethod.AUTOMATIC, null, null, false);
  }

  /** When an approved authorization is captured: at once, or by {@code POST /v1/payments/{id}/capture}. */
  enum CaptureMethod {
    AUTOMATIC,
    MANUAL;

    String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    static CaptureMethod fromWire(String wire) {
      return valueOf(wire.toUpperCase(java.util.Locale.ROOT));
    }
  }

  /** The cancellation reason of an authorization the reconciler voided after its time to live. */
  static final String EXPIRED = "expired";

  /**
   * The fraud assessment stored with the payment.
   *
   * @param score 0-100
   * @param decision {@code allow}, {@code review} or {@code block}
   * @param reasons names of the rules that fired
   * @param degraded true when a rule could not run (Redis unavailable) and was skipped
   */
  record Risk(int score, String decision, List<String> reasons, boolean degraded) {}

  /**
   * Why a payment failed.
   *
   * @param code stable snake_case code, e.g. {@code card_declined}
   * @param message customer-safe explanation
   */
  record Failure(String code, String message) {

    /** Fraud rules blocked the payment; no rail was called. */
    static final Failure RISK_DECLINED = new Failure("risk_declined", "The payment was declined by risk checks.");

    /** No rail took the payment, or none was ever called; nothing was charged. */
    static final Failure PROVIDER_UNAVAILABLE = new Failure("provider_unavailable",
        "No payment provider could take the payment; nothing was charged.");

    /** The customer failed 3-D Secure authentication; no rail was called, nothing charged. */
    static final Failure AUTHENTICATION_FAILED = new Failure("authentication_failed",
        "The customer did not pass 3-D Secure authentication; nothing was charged.");

    /** No 3-D Secure result arrived in time; no rail was called, nothing charged. */
    static final Failure AUTHENTICATION_TIMEOUT = new Failure("authentication_timeout",
        "3-D Secure authentication was not completed in time; nothing was charged.");

    static Failure declined(RailOutcome.Declined declined) {
      return new Failure(declined.failureCode(), declined.message());
    }
  }

  /**
   * The one decision of what a rail's answer does to this payment (STYLE.md example 1): an
   * exhaustive switch over the outcome, used by the synchronous answer, callbacks and the
   * reconciler alike. An approval captures with the method's fee; a decline or a rail that surely
   * did not process fails with nothing charged; a pending answer waits for the callback; an
   * unknown answer leaves the payment {@code processing} for the status query, never guessed.
   *
   * @param pricing the merchant's rates
   * @param at when the answer was decided, the payment's new {@code updated_at}
   * @return the payment after the outcome; error {@link IllegalStateException} when the state
   *     machine forbids the move (a final payment is never reopened)
   */
  Payment resolve(RailOutcome outcome, FeeSchedule pricing, Instant at) {
    Money zeroFee = new Money(0, amount.currency());
    return switch (outcome) {
      // Manual capture: the authorization is held (the ledger's hold is written with the move).
      case RailOutcome.Approved a -> captureMethod == CaptureMethod.MANUAL
          ? moveTo(PaymentStatus.REQUIRES_CAPTURE, a.rail(), null, zeroFee, at)
          : moveTo(PaymentStatus.SUCCEEDED, a.rail(), null, pricing.feeFor(this), at);
      case RailOutcome.Declined d -> moveTo(PaymentStatus.FAILED, d.rail(), Failure.declined(d), zeroFee, at);
      case RailOutcome.Pending p -> moveTo(PaymentStatus.PENDING, p.rail(), null, zeroFee, at);
      case RailOutcome.NotAttempted n -> moveTo(PaymentStatus.FAILED, n.rail(), Failure.PROVIDER_UNAVAILABLE, zeroFee, at);
      case RailOutcome.Unknown u -> new Payment(id, merchantId, idempotencyKey, status, amount, fee, reference,
          description, metadata, card, wallet, u.rail(), risk, failure, attempts, createdAt, at, captureMethod,
          amountCaptured, cancellationReason, livemode, returnUrl);
    };
  }

  /**
   * Fails the payment without a rail's answer: fraud blocked it, no rail was available, or it was
   * never sent (no attempt was started). Nothing was charged.
   */
  Payment fail(Failure why, Instant at) {
    return moveTo(PaymentStatus.FAILED, provider, why, new Money(0, amount.currency()), at);
  }

  /**
   * The card needs 3-D Secure: {@code processing → requires_action}, no rail called yet.
   *
   * @throws IllegalStateException when the state machine forbids the move
   */
  Payment requireAction(Instant at) {
    return moveTo(PaymentStatus.REQUIRES_ACTION, provider, null, new Money(0, amount.currency()), at);
  }

  /**
   * Authenticated: {@code requires_action → processing} with the first attempt started on
   * {@code rail} (its intent is committed before the rail is called, as for any attempt).
   */
  Payment authenticated(String rail, Instant at) {
    return moveTo(PaymentStatus.PROCESSING, provider, null, fee, at).withAttemptStarted(rail, at);
  }

  /** This payment with one more attempt started on {@code rail}. */
  Payment withAttemptStarted(String rail, Instant at) {
    return new Payment(id, merchantId, idempotencyKey, status, amount, fee, reference, description, metadata, card,
        wallet, rail, risk, failure, attempts + 1, createdAt, at, captureMethod, amountCaptured, cancellationReason, livemode, returnUrl);
  }

  private Payment moveTo(PaymentStatus next, String nextProvider, Failure nextFailure, Money nextFee, Instant at) {
    if (!status.canMoveTo(next)) {
      throw new IllegalStateException("payment " + id + " cannot move from " + status + " to " + next);
    }
    return new Payment(id, merchantId, idempotencyKey, next, amount, nextFee, reference, description, metadata, card,
        wallet, nextProvider, risk, nextFailure, attempts, createdAt, at, captureMethod, amountCaptured,
        cancellationReason, livemode, returnUrl);
  }

  /**
   * Captures (part of) a held authorization: {@code requires_capture → succeeded}, the fee on the
   * captured amount. The rest of the hold is released by the same write.
   *
   * @param captured minor units, 0 < captured ≤ {@link #amount}
   * @throws IllegalStateException when not {@code requires_capture}; IllegalArgumentException when
   *     {@code captured} is out of bounds (INVARIANTS 5 as extended by docs/adr/0082)
   */
  Payment capture(Money captured, Pricing pricing, Instant at) {
    if (status != PaymentStatus.REQUIRES_CAPTURE) {
      throw new IllegalStateException("payment " + id + " is " + status.wireName() + ", not requires_capture");
    }
    if (captured.amountMinor() <= 0 || captured.amountMinor() > amount.amountMinor()
        || !captured.currency().equals(amount.currency())) {
      throw new IllegalArgumentException("capture of " + captured + " outside the authorized " + amount);
    }
    moveTo(PaymentStatus.SUCCEEDED, provider, null, fee, at); // checks the state machine
    Money captureFee = pricing.feeFor(withAmount(captured));
    return new Payment(id, merchantId, idempotencyKey, PaymentStatus.SUCCEEDED, amount, captureFee, reference,
        description, metadata, card, wallet, provider, risk, null, attempts, createdAt, at, captureMethod, captured, null, livemode, returnUrl);
  }

  /**
   * Cancels a held or unauthenticated payment: {@code requires_capture} or {@code requires_action
   * → canceled}; its hold (if any) is released by the same write.
   *
   * @param reason the merchant's reason, {@value #EXPIRED} from the reconciler, or null
   */
  Payment cancel(String reason, Instant at) {
    if (status != PaymentStatus.REQUIRES_CAPTURE && status != PaymentStatus.REQUIRES_ACTION) {
      throw new IllegalStateException("payment " + id + " is " + status.wireName() + ", not cancelable");
    }
    Payment moved = moveTo(PaymentStatus.CANCELED, provider, null, new Money(0, amount.currency()), at);
    return new Payment(id, merchantId, idempotencyKey, moved.status(), amount, moved.fee(), reference, description,
        metadata, card, wallet, provider, risk, null, attempts, createdAt, at, captureMethod, null, reason, livemode, returnUrl);
  }

  /** This payment as if its amount were {@code other} (what a capture's fee is computed on). */
  private Payment withAmount(Money other) {
    return new Payment(id, merchantId, idempotencyKey, status, other, fee, reference, description, metadata,
        card, wallet, provider, risk, failure, attempts, createdAt, updatedAt, captureMethod, amountCaptured,
        cancellationReason, livemode, returnUrl);
  }

  Payment withRisk(Risk assessed) {
    return new Payment(id, merchantId, idempotencyKey, status, amount, fee, reference, description, metadata, card,
        wallet, provider, assessed, failure, attempts, createdAt, updatedAt, captureMethod, amountCaptured,
        cancellationReason, livemode, returnUrl);
  }
}
