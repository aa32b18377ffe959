/**
 * Airtel Money Africa collections (USSD push, enquiry, callback) in Airtel's wire format
 * (shared/reference/rails.md §3; docs/rails/airtel.md). Non-goals: disbursements (they need an
 * RSA-encrypted PIN and request signing) and refunds (no refund is offered through this rail:
 * {@code refund_not_supported}).
 */
package org.malipo.gateway.rail.airtel;
