package org.malipo.gateway.ledger;

import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.transaction.support.DefaultTransactionDefinition;

/**
 * The transaction the ledger's reports read in: read-only and repeatable read, so every query of
 * one report sees the same postings (a trial balance never mixes two moments).
 */
final class ReadSnapshot {

  private ReadSnapshot() {}

  /** An operator that runs a report's queries in one read-only, repeatable-read transaction. */
  static TransactionalOperator of(ReactiveTransactionManager transactionManager) {
    DefaultTransactionDefinition definition = new DefaultTransactionDefinition();
    definition.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
    definition.setReadOnly(true);
    return TransactionalOperator.create(transactionManager, definition);
  }
}
