package org.malipo.gateway.payment;

import java.util.Map;

/**
 * The JSON body of {@code POST /v1/payments}, as sent (snake_case on the wire). Every field is
 * nullable here so that a missing one can be reported by name; {@link PaymentRequestValidator}
 * turns it into a {@link PaymentCommand}. Fields the client may not set ({@code status},
 * {@code provider}, {@code risk}, {@code fee}, ids) are absent, so they fail as
 * {@code parameter_unknown}.
 *
 * @param amount minor units of {@code currency}; a JSON integer
 * @param currency ISO 4217 alphabetic code, upper case
 * @param paymentMethod how the customer pays
 * @param reference the merchant's own reference, 1-64 characters
 * @param description at most 255 characters
 * @param metadata at most 20 string pairs, keys at most 40 and values at most 500 characters
 * @param captureMethod {@code automatic} (default) or {@code manual} (cards only: authorize now,
 *     {@code POST /v1/payments/{id}/capture} later)
 * @param returnUrl where the customer's browser goes back after 3-D Secure authentication
 *     ({@code http(s)}, at most 2,048 characters); may be null
 */
record CreatePaymentRequest(
    Long amount,
    String currency,
    PaymentMethodRequest paymentMethod,
    String reference,
    String description,
    Map<String, String> metadata,
    String captureMethod,
    String returnUrl) {

  /** A request without {@code return_url} (the shape before 3-D Secure). */
  CreatePaymentRequest(Long amount, String currency, PaymentMethodRequest paymentMethod, String reference,
      String description, Map<String, String> metadata, String captureMethod) {
    this(amount, currency, paymentMethod, reference, description, metadata, captureMethod, null);
  }

  /**
   * {@code payment_method}: a card ({@code type, number, exp_month, exp_year, cvc}) or mobile
   * money ({@code type, operator, msisdn}).
   */
  record PaymentMethodRequest(
      String type,
      String number,
      Integer expMonth,
      Integer expYear,
      String cvc,
      String operator,
      String msisdn) {}
}
