package org.malipo.gateway.rail;

/**
 * A failure of a rail call, translated once at the adapter edge; created by the two factories
 * whose names say what the caller may do next (ADR 0003).
 *
 * <ul>
 *   <li>{@link #notCharged}: the rail cannot have acted on the request (it never left: connection
 *       refused, no pooled connection, no access token; or the rail answered with an error its own
 *       documentation lists as "not processed"). Failing over is safe; {@code ResilientRail} turns
 *       it into {@link RailOutcome.NotAttempted}.
 *   <li>{@link #mayHaveCharged}: the request may have reached the rail (the connection was lost
 *       after sending, the answer could not be read). Never failed over; {@code ResilientRail} turns
 *       it into {@link RailOutcome.Unknown}, to be reconciled.
 * </ul>
 */
public final class RailException extends RuntimeException {

  private final boolean surelyNotCharged;

  private RailException(String message, boolean surelyNotCharged, Throwable cause) {
    super(message, cause);
    this.surelyNotCharged = surelyNotCharged;
  }

  /**
   * The rail surely did not act on the request: trying another rail cannot charge twice.
   *
   * @param message what happened, without card data or secrets
   */
  public static RailException notCharged(String message) {
    return new RailException(message, true, null);
  }

  /**
   * As {@link #notCharged(String)}, keeping the underlying error (a connection refusal, say).
   *
   * @param message what happened, without card data or secrets
   * @param cause the underlying error
   */
  public static RailException notCharged(String message, Throwable cause) {
    return new RailException(message, true, cause);
  }

  /**
   * The rail may have acted on the request: the outcome is unknown and must be reconciled, never
   * retried on another rail.
   *
   * @param message what happened, without card data or secrets
   * @param cause the underlying error, may be null
   */
  public static RailException mayHaveCharged(String message, Throwable cause) {
    return new RailException(message, false, cause);
  }

  /** Whether trying another rail cannot lead to a double charge. */
  public boolean surelyNotCharged() {
    return surelyNotCharged;
  }
}
