package org.malipo.gateway.payment;

import java.util.Map;
import org.malipo.gateway.common.Money;
import org.springframework.stereotype.Component;

/**
 * What the {@code checkout} module needs of payments (issue 19): the same rules for an order's
 * amount, reference, description and metadata as {@code POST /v1/payments}, so a session never
 * holds an order its payment would refuse.
 */
@Component
public final class CheckoutOrders {

  private final PaymentRequestValidator validator;
  private final PaymentRepository payments;
  private final PaymentPipeline pipeline;

  CheckoutOrders(PaymentRequestValidator validator, PaymentRepository payments, PaymentPipeline pipeline) {
    this.validator = validator;
    this.payments = payments;
    this.pipeline = pipeline;
  }

  /**
   * The answer of a checkout session's payment, as {@code POST /v1/payments} gives it.
   *
   * @param status HTTP status (201, or a replay's)
   * @param body the payment JSON
   */
  public record Paid(int status, String body) {}

  /**
   * Runs one payment of a checkout session through the payment pipeline, exactly as {@code POST
   * /v1/payments} with the merchant's credential of the session's mode would: idempotent by
   * {@code paymentKey}, detached from the caller once its key is claimed.
   *
   * @param body a {@code POST /v1/payments} body
   * @return the answer; errors as {@code POST /v1/payments}
   */
  public reactor.core.publisher.Mono<Paid> pay(String merchantId, boolean livemode, String paymentKey, byte[] body) {
    org.malipo.gateway.auth.Principal principal = new org.malipo.gateway.auth.Principal("checkout", merchantId,
        java.util.Set.of(org.malipo.gateway.auth.Principal.PAYMENTS_WRITE), livemode, false);
    return pipeline.create(principal, paymentKey, body).map(answer -> new Paid(answer.status(), answer.body()));
  }

  /**
   * What a checkout session shows of its payment.
   *
   * @param status {@code processing}, {@code pending}, {@code succeeded} or {@code failed}
   * @param failureCode null unless failed
   * @param nextActionUrl the 3-D Secure page while {@code requires_action}, else null
   * @param returnUrl where that page sends the browser back, while {@code requires_action}, else null
   */
  public record PaymentState(String id, String status, String failureCode, String failureMessage, String nextActionUrl,
      String returnUrl) {

    static PaymentState of(Payment p) {
      PaymentView.NextAction next = PaymentView.of(p).nextAction();
      return new PaymentState(p.id(), p.status().wireName(), p.failure() == null ? null : p.failure().code(),
          p.failure() == null ? null : p.failure().message(), next == null ? null : next.redirectToUrl().url(),
          next == null ? null : next.redirectToUrl().returnUrl());
    }
  }

  /**
   * The state of the merchant's payment of this mode created with this idempotency key.
   *
   * @return the state, or empty when no payment was recorded with that key
   */
  public reactor.core.publisher.Mono<PaymentState> stateByKey(String merchantId, boolean livemode, String idempotencyKey) {
    return payments.page(merchantId, livemode, 1, null, null, idempotencyKey).next()
        .map(PaymentState::of);
  }

  /**
   * The state of the merchant's payment of this mode.
   *
   * @return the state, or empty when there is no such payment
   */
  public reactor.core.publisher.Mono<PaymentState> state(String merchantId, boolean livemode, String paymentId) {
    return payments.find(merchantId, livemode, paymentId)
        .map(PaymentState::of);
  }

  /**
   * A validated order.
   *
   * @param amount minor units and currency
   * @param metadata never null
   */
  public record Order(Money amount, String reference, String description, Map<String, String> metadata) {}

  /**
   * Validates an order as {@code POST /v1/payments} would.
   *
   * @param amountMinor minor units of {@code currency}
   * @return the order; errors {@code ApiProblem} {@code parameter_missing}, {@code amount_invalid},
   *     {@code currency_unsupported}, {@code parameter_invalid} (with {@code param})
   */
  public Order validate(Long amountMinor, String currency, String reference, String description,
      Map<String, String> metadata) {
    Money amount = validator.amount(new CreatePaymentRequest(amountMinor, currency, null, null, null, null, null));
    return new Order(amount,
        PaymentRequestValidator.freeText(reference, "reference", 1, PaymentRequestValidator.REFERENCE_MAX),
        PaymentRequestValidator.freeText(description, "description", 0, PaymentRequestValidator.DESCRIPTION_MAX),
        PaymentRequestValidator.metadata(metadata));
  }
}
