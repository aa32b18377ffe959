/**
 * The payment aggregate, its state machine and the pipeline that composes validation, idempotency, fraud, routing, the rail call and the ledger posting into one non-blocking chain; the {@code /v1/payments} handlers and the in-flight ceiling. Rails, fraud rules and ledger rules live in their own modules.
 */
package org.malipo.gateway.payment;
