package org.malipo.gateway.reconciliation;

import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Reconciliation ({@code malipo.reconciliation.*}).
 *
 * @param railFeeBasisPoints the fee each rail is expected to keep of a statement line, basis points
 *     of its gross amount rounded half-up, by rail name ({@code malipo.reconciliation.rail-fee-basis-points.acquirer_a=150});
 *     a line whose fee differs is a {@code fee_mismatch}; rails not listed are not fee-checked
 * @param settleLostAnswersConcurrency payments settled at once from one statement (lines whose
 *     rail answer the gateway never heard); default 4
 */
@ConfigurationProperties("malipo.reconciliation")
record ReconciliationProperties(Map<String, Integer> railFeeBasisPoints, Integer settleLostAnswersConcurrency) {

  ReconciliationProperties {
    railFeeBasisPoints = railFeeBasisPoints == null ? Map.of() : Map.copyOf(railFeeBasisPoints);
    settleLostAnswersConcurrency = settleLostAnswersConcurrency == null ? 4 : settleLostAnswersConcurrency;
    railFeeBasisPoints.forEach((rail, bp) -> {
      if (bp < 0 || bp > 10_000) {
        throw new IllegalArgumentException("malipo.reconciliation.rail-fee-basis-points." + rail + " must be 0-10000");
      }
    });
  }
}
