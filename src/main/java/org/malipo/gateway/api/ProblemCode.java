package org.malipo.gateway.api;

import org.springframework.http.HttpStatus;

/**
 * Every stable error {@code code} the API can answer with, its HTTP status and its title.
 *
 * <p>These strings are a public contract (RFC 9457 problem member {@code code}); never rename one.
 */
public enum ProblemCode {
  INVALID_JSON(HttpStatus.BAD_REQUEST, "Malformed JSON body"),
  INVALID_REQUEST(HttpStatus.BAD_REQUEST, "Invalid request"),
  PARAMETER_UNKNOWN(HttpStatus.BAD_REQUEST, "Unknown parameter"),
  PARAMETER_MISSING(HttpStatus.BAD_REQUEST, "Missing parameter"),
  PARAMETER_INVALID(HttpStatus.BAD_REQUEST, "Invalid parameter"),
  AMOUNT_INVALID(HttpStatus.BAD_REQUEST, "Invalid amount"),
  CURRENCY_UNSUPPORTED(HttpStatus.BAD_REQUEST, "Currency not supported"),
  IDEMPOTENCY_KEY_MISSING(HttpStatus.BAD_REQUEST, "Idempotency-Key header required"),
  IDEMPOTENCY_KEY_INVALID(HttpStatus.BAD_REQUEST, "Invalid Idempotency-Key header"),
  UNSUPPORTED_GRANT_TYPE(HttpStatus.BAD_REQUEST, "Unsupported grant type"),
  INVALID_SCOPE(HttpStatus.BAD_REQUEST, "Invalid scope"),
  STATEMENT_INVALID(HttpStatus.BAD_REQUEST, "Statement file invalid"),
  FX_RATES_INVALID(HttpStatus.BAD_REQUEST, "Exchange rate file invalid"),
  INVALID_CLIENT(HttpStatus.UNAUTHORIZED, "Client authentication failed"),
  UNAUTHORIZED(HttpStatus.UNAUTHORIZED, "Authentication required"),
  INVALID_TOKEN(HttpStatus.UNAUTHORIZED, "Invalid access token"),
  INSUFFICIENT_SCOPE(HttpStatus.FORBIDDEN, "Insufficient scope"),
  /** A console session's state-changing call without its CSRF token (issue 24, docs/console.md). */
  CSRF_TOKEN_INVALID(HttpStatus.FORBIDDEN, "CSRF token missing or invalid"),
  NOT_FOUND(HttpStatus.NOT_FOUND, "Not found"),
  METHOD_NOT_ALLOWED(HttpStatus.METHOD_NOT_ALLOWED, "Method not allowed"),
  NOT_ACCEPTABLE(HttpStatus.NOT_ACCEPTABLE, "Not acceptable"),
  IDEMPOTENCY_IN_PROGRESS(HttpStatus.CONFLICT, "A request with this Idempotency-Key is in progress"),
  EXCEPTION_ALREADY_RESOLVED(HttpStatus.CONFLICT, "Exception already resolved"),
  PAYMENT_NOT_CAPTURABLE(HttpStatus.CONFLICT, "Payment cannot be captured"),
  PAYMENT_NOT_CANCELABLE(HttpStatus.CONFLICT, "Payment cannot be canceled"),
  /** Issue 24: an operator's redelivery of a delivery that is not dead, or whose endpoint is gone or disabled. */
  WEBHOOK_DELIVERY_NOT_REDELIVERABLE(HttpStatus.CONFLICT, "Webhook delivery cannot be redelivered"),
  /** Issue 24: dismissing a callback that is not quarantined (applied, duplicate, or being processed). */
  CALLBACK_NOT_QUARANTINED(HttpStatus.CONFLICT, "Callback is not quarantined"),
  /** Issue 24: reprocessing a callback other than an orphan not yet dismissed. */
  CALLBACK_NOT_REPROCESSABLE(HttpStatus.CONFLICT, "Callback cannot be reprocessed"),
  PAYLOAD_TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE, "Request body too large"),
  UNSUPPORTED_MEDIA_TYPE(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type"),
  /** Issue 19: a used, expired, unknown or other merchant's/mode's card token. */
  TOKEN_INVALID(HttpStatus.BAD_REQUEST, "Invalid card token"),
  /** Issue 20: a 3-D Secure result with a bad signature, expired, or already used. */
  AUTHENTICATION_RESULT_INVALID(HttpStatus.BAD_REQUEST, "Invalid authentication result"),
  /** Issue 19: the checkout session has expired (by time or by the merchant). */
  CHECKOUT_SESSION_EXPIRED(HttpStatus.BAD_REQUEST, "Checkout session expired"),
  /** Issue 19: the checkout session's payment already succeeded. */
  CHECKOUT_SESSION_COMPLETE(HttpStatus.CONFLICT, "Checkout session complete"),
  /** Issue 19: the checkout session has started its 5 payments. */
  CHECKOUT_SESSION_ATTEMPTS_EXHAUSTED(HttpStatus.CONFLICT, "Checkout session has no payment attempts left"),
  IDEMPOTENCY_KEY_REUSED(HttpStatus.UNPROCESSABLE_CONTENT, "Idempotency-Key reused with a different request"),
  REFUND_EXCEEDS_PAYMENT(HttpStatus.UNPROCESSABLE_CONTENT, "Refund exceeds what is left of the payment"),
  PAYMENT_NOT_REFUNDABLE(HttpStatus.UNPROCESSABLE_CONTENT, "Payment cannot be refunded"),
  REFUND_NOT_SUPPORTED(HttpStatus.UNPROCESSABLE_CONTENT, "The payment's rail cannot refund"),
  INSUFFICIENT_BALANCE(HttpStatus.UNPROCESSABLE_CONTENT, "Merchant balance cannot cover the refund"),
  PAYOUT_LIMIT_EXCEEDED(HttpStatus.UNPROCESSABLE_CONTENT, "Payout limit exceeded"),
  RESOLUTION_NOT_ALLOWED(HttpStatus.UNPROCESSABLE_CONTENT, "Resolution not allowed for this exception"),
  WEBHOOK_ENDPOINT_LIMIT_REACHED(HttpStatus.UNPROCESSABLE_CONTENT, "Webhook endpoint limit reached"),
  RATE_LIMITED(HttpStatus.TOO_MANY_REQUESTS, "Rate limit exceeded"),
  INTERNAL_ERROR(HttpStatus.INTERNAL_SERVER_ERROR, "Internal error"),
  OVERLOADED(HttpStatus.SERVICE_UNAVAILABLE, "Gateway overloaded"),
  SERVICE_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, "Service temporarily unavailable");

  private final HttpStatus status;
  private final String title;

  ProblemCode(HttpStatus status, String title) {
    this.status = status;
    this.title = title;
  }

  /** The HTTP status this code is always answered with. */
  public HttpStatus status() {
    return status;
  }

  /** A short, human-readable summary that does not change between occurrences. */
  public String title() {
    return title;
  }

  /** The snake_case wire form, e.g. {@code "parameter_invalid"}. */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
