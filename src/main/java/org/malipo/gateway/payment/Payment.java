package org.malipo.gateway.payment;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.common.Money;

/**
 * A payment as stored: amounts in minor units, the card only as {@link MaskedCard}.
 *
 * @param card the masked card; null for mobile money
 * @param wallet the mobile-money payer; null for cards
 * @param fee the merchant's fee in minor units of the payment currency (zero until captured)
 * @param provider the rail that answered last, or null before any rail call
 * @param attempts number of rail calls made
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
    Instant updatedAt) {

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
  record Failure(String code, String message) {}

  Payment withOutcome(PaymentStatus next, String nextProvider, Failure nextFailure, Money nextFee, int nextAttempts, Instant at) {
    if (!status.canMoveTo(next)) {
      throw new IllegalStateException("payment " + id + " cannot move from " + status + " to " + next);
    }
    return new Payment(id, merchantId, idempotencyKey, next, amount, nextFee, reference, description, metadata, card,
        wallet, nextProvider, risk, nextFailure, nextAttempts, createdAt, at);
  }

  Payment withRisk(Risk assessed) {
    return new Payment(id, merchantId, idempotencyKey, status, amount, fee, reference, description, metadata, card,
        wallet, provider, assessed, failure, attempts, createdAt, updatedAt);
  }
}
