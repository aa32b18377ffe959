/**
 * The ledger: append-only journal entries whose debits equal their credits, their postings, and merchant balances kept in the caller's transaction; the trial balance. The database enforces the same rules (balanced entries, immutability, merchant balances never below zero).
 */
package org.malipo.gateway.ledger;
