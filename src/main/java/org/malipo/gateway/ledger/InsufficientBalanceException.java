package org.malipo.gateway.ledger;

/** A posting would take a merchant balance below zero; the database refused it, nothing was written. */
public final class InsufficientBalanceException extends RuntimeException {

  /**
   * @param account the account that would have gone negative
   * @param cause the database's constraint violation
   */
  public InsufficientBalanceException(String account, Throwable cause) {
    super("balance of " + account + " cannot cover the posting", cause);
  }
}
