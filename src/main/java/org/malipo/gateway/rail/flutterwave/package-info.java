/**
 * Flutterwave v3: card charges in NGN and mobile money in UGX, RWF, ZMW and XOF (the second route
 * when an operator's own rail is unavailable), verification, refunds and the {@code verif-hash}
 * webhook, in Flutterwave's wire format (shared/reference/rails.md §5; docs/rails/flutterwave.md).
 * Non-goals: the hosted checkout, PIN/OTP/3DS steps (answered as pending, settled by verify), the
 * v4 API.
 */
package org.malipo.gateway.rail.flutterwave;
