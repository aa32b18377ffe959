package org.malipo.gateway.rail;

/**
 * A transport-level failure of a rail call, translated once at the adapter edge.
 *
 * <p>{@link #surelyNotCharged()} is true only when the rail cannot have acted on the request
 * (connection refused, a 5xx it documents as "not processed"); then failing over is safe.
 */
public final class RailException extends RuntimeException {

  private final boolean surelyNotCharged;

  /**
   * @param message what happened, without card data
   * @param surelyNotCharged whether the rail surely did not act on the request
   * @param cause the underlying error, may be null
   */
  public RailException(String message, boolean surelyNotCharged, Throwable cause) {
    super(message, cause);
    this.surelyNotCharged = surelyNotCharged;
  }

  /** Whether trying another rail cannot lead to a double charge. */
  public boolean surelyNotCharged() {
    return surelyNotCharged;
  }
}
