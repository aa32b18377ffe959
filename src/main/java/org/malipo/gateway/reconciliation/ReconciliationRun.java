package org.malipo.gateway.reconciliation;

import java.time.Instant;

/**
 * A stored run.
 *
 * @param counts items by result
 * @param railAmountMinor Σ of the statement's gross amounts, minor units
 * @param gatewayAmountMinor Σ of the gateway's succeeded payments the run covered (paired or
 *     missing in the rail), minor units
 */
record ReconciliationRun(String id, String rail, Instant periodStart, Instant periodEnd, String status, Counts counts,
    long railAmountMinor, long gatewayAmountMinor, String currency, String journalEntry, Instant createdAt) {

  /** Items by result. */
  record Counts(int matched, int amountMismatch, int feeMismatch, int missingInRail, int missingInGateway) {}
}
