package org.malipo.gateway.rail;

/**
 * What a rail said about one authorization attempt (Kill Bill's split of provider results).
 *
 * <ul>
 *   <li>{@link Approved}: money authorized and captured.
 *   <li>{@link Declined}: the issuer or rail refused; nothing charged; final.
 *   <li>{@link Pending}: accepted for processing; the outcome comes later (callback or query).
 *   <li>{@link NotAttempted}: surely not charged (the request never left, open circuit, bulkhead
 *       full, an answer the rail's own documentation lists as "not processed"): safe to try the
 *       next rail.
 *   <li>{@link Unknown}: the request may have reached the rail (timeout or reset after send, any
 *       other 5xx such as a proxy's 502, an unreadable answer): never retried elsewhere; resolved
 *       by the rail's status query (ADR 0003).
 * </ul>
 */
public sealed interface RailOutcome {

  /** The rail that answered, e.g. {@code "acquirer_a"}. */
  String rail();

  /**
   * Authorization approved.
   *
   * @param railReference the rail's id of the authorization
   * @param responseCode the rail's response code (ISO 8583 field 39, {@code "00"})
   */
  record Approved(String rail, String railReference, String responseCode) implements RailOutcome {}

  /**
   * Authorization refused.
   *
   * @param failureCode our stable code, e.g. {@code card_declined}, {@code insufficient_funds}
   * @param message a customer-safe explanation
   */
  record Declined(String rail, String railReference, String responseCode, String failureCode, String message)
      implements RailOutcome {}

  /** Accepted for processing; final outcome later. */
  record Pending(String rail, String railReference) implements RailOutcome {}

  /**
   * Surely not charged; the next rail may be tried.
   *
   * @param reason what happened, for the attempt record (no card data)
   * @param shed true when the gateway refused the call itself (open circuit, full bulkhead,
   *     exceeded rate): nothing reached the rail, so it says nothing new about the rail's health
   */
  record NotAttempted(String rail, String reason, boolean shed) implements RailOutcome {

    /** The rail itself refused or could not be reached (not shed by the gateway). */
    public NotAttempted(String rail, String reason) {
      this(rail, reason, false);
    }
  }

  /**
   * The outcome is not known; must be reconciled, never retried on another rail.
   *
   * @param reason what happened, for the attempt record (no card data)
   */
  record Unknown(String rail, String reason) implements RailOutcome {}
}
