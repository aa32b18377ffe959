/**
 * Paystack: card charges in NGN and GHS and Ghana mobile money (MTN, Telecel, AirtelTigo) through
 * {@code POST /charge}, verification, refunds and the signed webhook, in Paystack's wire format
 * (shared/reference/rails.md §4; docs/rails/paystack.md). Non-goals: the redirect checkout
 * ({@code /transaction/initialize}), OTP/PIN/3DS steps (answered as pending, settled by verify),
 * transfers.
 */
package org.malipo.gateway.rail.paystack;
