/**
 * Bounded growth: a periodic job deletes what the gateway no longer needs, in small batches, safe
 * on many instances: idempotency keys of final payments and refunds past their retention,
 * published outbox rows (each payment's latest event stays: its sequence continues from it),
 * processed callback inbox rows, and finished webhook deliveries with their attempts
 * (docs/adr/0068-retention.md). Not here: the ledger, payments, refunds and audit events, which
 * are kept.
 */
package org.malipo.gateway.retention;
