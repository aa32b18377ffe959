package org.malipo.gateway.checkout;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.common.Money;

/**
 * A checkout session as stored.
 *
 * @param status {@code open}, {@code complete} or {@code expired}
 * @param amount minor units and currency of the order
 * @param clientSecret {@code cs_…_secret_…}: lets a client read and confirm this one session
 * @param paymentId the latest payment started for the session, or null
 * @param paymentsStarted payments started so far, at most {@link CheckoutSessions#MAX_PAYMENTS}
 */
record CheckoutSession(
    String id,
    String merchantId,
    boolean livemode,
    String status,
    Money amount,
    String reference,
    String description,
    Map<String, String> metadata,
    List<String> paymentMethodTypes,
    String captureMethod,
    String customerMsisdn,
    String successUrl,
    String cancelUrl,
    String clientSecret,
    Instant expiresAt,
    String paymentId,
    int paymentsStarted,
    Instant createdAt) {

  /** Whether the session is open but past its expiry time (the sweeper has not caught it yet). */
  boolean expiredBy(Instant now) {
    return "open".equals(status) && !expiresAt.isAfter(now);
  }

  /**
   * The merchant's view: every field, the payment as {@code {id, status, failure?}} or null.
   *
   * @param url the hosted page, {@code <public base>/checkout/{id}}
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record View(String id, String object, String status, long amount, String currency, String reference,
      String description, Map<String, String> metadata, List<String> paymentMethodTypes, String captureMethod,
      String customerMsisdn, String successUrl, String cancelUrl, String clientSecret, String url, String expiresAt,
      @JsonInclude(JsonInclude.Include.ALWAYS) Boolean livemode,
      @JsonInclude(JsonInclude.Include.ALWAYS) PaymentSummary payment, String createdAt) {}

  /** The session's latest payment: {@code {id, status, failure?}}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record PaymentSummary(String id, String status, Failure failure,
      @JsonInclude(JsonInclude.Include.NON_NULL) NextAction nextAction) {

    PaymentSummary(String id, String status, Failure failure) {
      this(id, status, failure, null);
    }
  }

  /**
   * A {@code requires_action} payment's 3-D Secure step, as on the payment: {@code {type:
   * "redirect_to_url", redirect_to_url: {url, return_url}}}; the hosted page follows it.
   */
  record NextAction(String type, RedirectToUrl redirectToUrl) {}

  /** Where the browser authenticates, and where it comes back. */
  record RedirectToUrl(String url, String returnUrl) {}

  /** A failed payment's {@code {code, message}}. */
  record Failure(String code, String message) {}

  /** The view in events: without the client secret (nor in {@code url}), which events never need. */
  View eventView(String url, PaymentSummary payment) {
    View full = view(url, payment, status);
    return new View(full.id(), full.object(), full.status(), full.amount(), full.currency(), full.reference(),
        full.description(), full.metadata(), full.paymentMethodTypes(), full.captureMethod(), full.customerMsisdn(),
        full.successUrl(), full.cancelUrl(), null, url, full.expiresAt(), full.livemode(), full.payment(),
        full.createdAt());
  }

  View view(String url, PaymentSummary payment, String status) {
    return new View(id, "checkout_session", status, amount.amountMinor(), amount.currency().code(), reference,
        description, metadata, paymentMethodTypes, captureMethod, customerMsisdn, successUrl, cancelUrl, clientSecret,
        url, expiresAt.toString(), livemode, payment, createdAt.toString());
  }
}
