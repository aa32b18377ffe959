package org.malipo.gateway.refund;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import org.malipo.gateway.common.Money;

/**
 * A refund as stored.
 *
 * @param status {@code pending}, {@code succeeded} or {@code failed}
 * @param amount minor units
 * @param rail the rail that captured the payment and receives the refund
 * @param fromAvailable whether the merchant's {@code available} (else {@code pending}) balance paid
 * @param livemode the mode of its payment (docs/adr/0078-test-and-live-mode.md)
 */
record Refund(
    String id,
    String paymentId,
    String merchantId,
    String idempotencyKey,
    String status,
    Money amount,
    String reason,
    String rail,
    String railReference,
    boolean fromAvailable,
    String failureCode,
    String failureMessage,
    Instant createdAt,
    Instant updatedAt,
    boolean livemode) {

  Refund resolved(String nextStatus, String nextRailReference, String code, String message, Instant at) {
    return new Refund(id, paymentId, merchantId, idempotencyKey, nextStatus, amount, reason, rail, nextRailReference,
        fromAvailable, code, message, createdAt, at, livemode);
  }

  /** The JSON form: {@code id, object, payment_id, amount, currency, status, reason, failure, …}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record View(String id, String object, String paymentId, long amount, String currency, String status, String reason,
      Failure failure, String createdAt, String updatedAt, boolean livemode) {

    record Failure(String code, String message) {}

    static View of(Refund refund) {
      return new View(refund.id(), "refund", refund.paymentId(), refund.amount().amountMinor(),
          refund.amount().currency().code(), refund.status(), refund.reason(),
          refund.failureCode() == null ? null : new Failure(refund.failureCode(), refund.failureMessage()),
          refund.createdAt().toString(), refund.updatedAt().toString(), refund.livemode());
    }
  }
}
