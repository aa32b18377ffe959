/**
 * Orange Money merchant payments (USSD push to the payer's wallet, status query, notification) in
 * Orange's wire format (docs/rails/orange.md; rails.md says too little, so the format follows
 * Orange's public merchant-payment API documentation, tagged [U] where unconfirmed). Non-goals:
 * the redirect-based Web Payment flow, cash-out, refunds ({@code refund_not_supported}).
 */
package org.malipo.gateway.rail.orange;
