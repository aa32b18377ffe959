package org.malipo.gateway.checkout;

import java.util.List;
import java.util.Map;

/**
 * The JSON body of {@code POST /v1/checkout_sessions} (snake_case on the wire); every field
 * nullable so a missing one is reported by name.
 *
 * @param amount minor units of {@code currency}
 * @param paymentMethodTypes {@code card} and/or {@code mobile_money}; default both
 * @param captureMethod {@code automatic} (the default) or {@code manual} (cards only: the session completes at {@code requires_capture})
 * @param customerMsisdn E.164 number prefilled for mobile money
 * @param expiresInSeconds 60..86400, default 1800
 */
record CreateCheckoutSessionRequest(
    Long amount,
    String currency,
    String reference,
    String description,
    Map<String, String> metadata,
    List<String> paymentMethodTypes,
    String captureMethod,
    String customerMsisdn,
    String successUrl,
    String cancelUrl,
    Long expiresInSeconds) {}
