package org.malipo.gateway.payment;

import java.time.Instant;

/**
 * One call to one rail for a payment (table {@code payment_attempts}).
 *
 * @param outcome {@code approved}, {@code declined}, {@code pending}, {@code not_attempted} or
 *     {@code unknown}
 * @param railReference the rail's id for this call, null when the rail gave none
 * @param latencyMs wall time of the call in milliseconds
 */
record PaymentAttempt(
    String id,
    String paymentId,
    String rail,
    String outcome,
    String railReference,
    String responseCode,
    String failureCode,
    Instant startedAt,
    long latencyMs) {}
