package org.malipo.gateway.rail;

import org.malipo.gateway.common.Money;

/**
 * What an asynchronous rail callback reports, read from the rail's own wire format by
 * {@link RailAdapter#readCallback}. Unsigned rails' callbacks are hints: the gateway confirms a
 * success with {@link RailAdapter#queryStatus} before applying it.
 *
 * @param railReference the rail's id of the request (M-Pesa {@code CheckoutRequestID}, MoMo
 *     {@code X-Reference-Id}); null when the body does not carry it
 * @param externalId our attempt id echoed by the rail (MoMo {@code externalId}), or null
 * @param outcome {@link RailOutcome.Approved} for a success, {@link RailOutcome.Declined} with a
 *     mapped failure code for a failure, {@link RailOutcome.Pending} when not final
 * @param amount the amount the rail reports in minor units, or null when a failure carries none
 * @param payerMsisdn the payer the rail reports, E.164 with {@code +}, or null
 */
public record RailCallback(String railReference, String externalId, RailOutcome outcome, Money amount,
    String payerMsisdn) {}
