package org.malipo.gateway.reconciliation;

/**
 * A statement file that cannot be read: answered {@code 400 statement_invalid} naming the line
 * (the header is line 1); nothing is recorded.
 */
public final class StatementInvalidException extends RuntimeException {

  private final int line;

  StatementInvalidException(int line, String reason) {
    super("line " + line + ": " + reason, null, false, false);
    this.line = line;
  }

  /** The offending line, the header being line 1. */
  public int line() {
    return line;
  }
}
