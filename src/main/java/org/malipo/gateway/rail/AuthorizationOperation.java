package org.malipo.gateway.rail;

import org.malipo.gateway.common.Money;

/**
 * A second message on a held card authorization: its capture (a completion) or its void (a
 * reversal), docs/adr/0082-authorization-holds.md.
 *
 * @param operationId our id of the operation ({@code cap_…} or {@code void_…}); sent as the rail's
 *     Idempotency-Key, so the same operation can never be applied twice, and used by the status
 *     query when its answer was lost
 * @param paymentId our payment id
 * @param kind capture or void
 * @param authorizationReference the rail's id of the approved authorization ({@code auth_…})
 * @param amount a capture's amount (minor units, at most the authorized amount); a void's is the
 *     whole authorized amount
 */
public record AuthorizationOperation(String operationId, String paymentId, Kind kind, String authorizationReference,
    Money amount) {

  /** Which second message. */
  public enum Kind {
    /** Completion: the authorized amount, or part of it, is captured; the rest is released. */
    CAPTURE,
    /** Reversal: the whole authorization is released; nothing is captured. */
    VOID;

    /** The database and wire form: {@code capture} or {@code void}. */
    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
