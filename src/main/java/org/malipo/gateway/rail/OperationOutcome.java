package org.malipo.gateway.rail;

/**
 * What a rail said about a capture or void of a held authorization ({@link AuthorizationOperation}),
 * split like {@link RailOutcome}: done, refused (final; nothing changed at the rail), surely not
 * processed (nothing changed; safe to send again under the same key), or unknown (the rail may have
 * applied it: settled by the status query, never sent twice).
 */
public sealed interface OperationOutcome {

  /** The rail that answered. */
  String rail();

  /**
   * Applied.
   *
   * @param railReference the rail's id of the completion or reversal
   * @param responseCode ISO 8583 field 39, {@code "00"}
   */
  record Done(String rail, String railReference, String responseCode) implements OperationOutcome {}

  /**
   * Refused by the acquirer (e.g. {@code "12"} invalid transaction: the authorization was already
   * reversed or expired at the issuer).
   */
  record Refused(String rail, String responseCode, String reason) implements OperationOutcome {}

  /** Surely not processed: the request never left, or the rail documents the answer as "not processed". */
  record NotAttempted(String rail, String reason) implements OperationOutcome {}

  /** May have been applied; ask the status query. */
  record Unknown(String rail, String reason) implements OperationOutcome {}
}
