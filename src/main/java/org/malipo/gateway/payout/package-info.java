/**
 * Payouts: money out of a merchant's {@code available} balance to a mobile wallet (M-Pesa B2C,
 * MTN MoMo Disbursements), and the rails' asynchronous money-out results (payouts, M-Pesa
 * reversals of refunds). Validate → claim the key and reserve (one transaction: payout row,
 * reservation entry, {@code payout.created}, audit) → send once → record the outcome (one
 * guarded transaction: status, ledger, event, key). The reconciler settles payouts whose answer
 * was lost by the rail's status query, never by sending again
 * (docs/adr/0069-payouts-reserved-first.md). Not here: bank payouts, scheduled payouts, batch files.
 */
package org.malipo.gateway.payout;
