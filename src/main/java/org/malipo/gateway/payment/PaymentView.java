package org.malipo.gateway.payment;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * The JSON form of a payment (DESIGN.md §5), snake_case on the wire. Amounts are integers of
 * minor units; timestamps ISO 8601 UTC. The card shows brand, BIN and last 4 only.
 * {@code capture_method} is {@code automatic} or {@code manual}; {@code amount_captured} (minor
 * units) is present once something was captured; {@code cancellation_reason} on canceled payments;
 * {@code next_action} only on {@code requires_action} payments.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record PaymentView(
    String id,
    String object,
    String status,
    long amount,
    String currency,
    Long fee,
    String reference,
    String description,
    Map<String, String> metadata,
    MethodView paymentMethod,
    String provider,
    int attempts,
    RiskView risk,
    FailureView failure,
    String createdAt,
    String updatedAt,
    String captureMethod,
    Long amountCaptured,
    String cancellationReason,
    boolean livemode,
    NextAction nextAction) {

  /**
   * What the customer must do for a {@code requires_action} payment: {@code {type:
   * "redirect_to_url", redirect_to_url: {url, return_url}}} (3-D Secure, docs/adr/0083).
   */
  record NextAction(String type, RedirectToUrl redirectToUrl) {}

  /**
   * @param url the access control server's page for this payment
   * @param returnUrl where the browser goes afterwards: the merchant's {@code return_url}, else
   *     the gateway's result page
   */
  record RedirectToUrl(String url, String returnUrl) {}

  /**
   * Masked payment method: {@code {type: "card", brand, bin, last4}} or
   * {@code {type: "mobile_money", operator, msisdn}} with the number masked.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record MethodView(String type, String brand, String bin, String last4, String operator, String msisdn) {}

  /** Fraud score 0-100 and decision; {@code degraded} only when a rule was skipped. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record RiskView(int score, String decision, java.util.List<String> reasons, Boolean degraded) {}

  /** Failure code and message of a failed payment. */
  record FailureView(String code, String message) {}

  static PaymentView of(Payment payment) {
    MaskedCard card = payment.card();
    Payment.Risk risk = payment.risk();
    Payment.Failure failure = payment.failure();
    return new PaymentView(
        payment.id(),
        "payment",
        payment.status().wireName(),
        payment.amount().amountMinor(),
        payment.amount().currency().code(),
        payment.fee().amountMinor() > 0 ? payment.fee().amountMinor() : null,
        payment.reference(),
        payment.description(),
        payment.metadata(),
        card != null ? new MethodView("card", card.brand(), card.bin(), card.last4(), null, null)
            : new MethodView("mobile_money", null, null, null, payment.wallet().operator(),
                MobileNumbers.mask(payment.wallet().msisdn())),
        payment.provider(),
        payment.attempts(),
        risk == null ? null : new RiskView(risk.score(), risk.decision(), risk.reasons(), risk.degraded() ? Boolean.TRUE : null),
        failure == null ? null : new FailureView(failure.code(), failure.message()),
        payment.createdAt().toString(),
        payment.updatedAt().toString(),
        payment.captureMethod().wireName(),
        amountCaptured(payment),
        payment.cancellationReason(),
        payment.livemode(),
        payment.status() == PaymentStatus.REQUIRES_ACTION ? nextAction(payment) : null);
  }

  private static NextAction nextAction(Payment payment) {
    return new NextAction("redirect_to_url", new RedirectToUrl(ThreeDSecure.challengeUrl(payment.id()),
        payment.returnUrl() != null ? payment.returnUrl() : ThreeDSecure.resultPage(payment.id())));
  }

  /** What was captured: the whole amount of an automatic success, the captured part of a manual one; else none. */
  private static Long amountCaptured(Payment payment) {
    if (payment.amountCaptured() != null) {
      return payment.amountCaptured().amountMinor();
    }
    return payment.status() == PaymentStatus.SUCCEEDED ? payment.amount().amountMinor() : null;
  }
}
