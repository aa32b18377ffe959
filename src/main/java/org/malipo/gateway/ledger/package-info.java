/**
 * The double-entry, append-only ledger: journal entries, postings and cached balances written in the caller's transaction, and the trial balance. The database enforces balance, immutability and non-negative merchant balances too.
 */
package org.malipo.gateway.ledger;
