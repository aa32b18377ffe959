package org.malipo.gateway.sandbox;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;

/**
 * What the sandbox rails actually collected: one entry per money-in transaction a simulator
 * completed (an STK push paid, a request-to-pay successful, a card authorization approved), the
 * source of the rail statements ({@code GET /v1/sandbox/rails/{rail}/statement}, issue 23).
 *
 * <p>Bounded like every other sandbox store: at most {@value #MAX_ENTRIES} entries, the oldest
 * dropped first; in memory (the sandbox is not persistent, see the package Javadoc). Thread-safe:
 * each call holds the monitor for a constant-time deque operation or one copy.
 */
final class RailJournal {

  /** Entries kept across all rails; the oldest go first. */
  static final int MAX_ENTRIES = 200_000;

  /**
   * One completed collection as the rail saw it.
   *
   * @param rail the gateway's rail name ({@code mpesa}, {@code mtn_momo}, {@code acquirer_a} …)
   * @param railReference the rail's id of the transaction as the gateway stores it (CheckoutRequestID,
   *     X-Reference-Id, authorization id)
   * @param receipt the rail's receipt or approval code (M-Pesa receipt, MoMo financial transaction
   *     id, card approval code)
   * @param payer the payer's MSISDN digits or masked card, for the statement's party column
   * @param amountMinor the amount collected, minor units of {@code currency}
   * @param currency ISO 4217 code
   * @param initiatedAt when the rail received the request
   * @param completedAt when the payer completed it
   */
  record Entry(String rail, String railReference, String receipt, String payer, long amountMinor, String currency,
      Instant initiatedAt, Instant completedAt) {}

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

  /** Records one completed collection; drops the oldest entry past {@value #MAX_ENTRIES}. */
  synchronized void record(Entry entry) {
    if (entries.size() >= MAX_ENTRIES) {
      entries.pollFirst();
    }
    entries.addLast(entry);
  }

  /** The entries of {@code rail} completed in [{@code from}, {@code to}), in completion order. */
  synchronized List<Entry> between(String rail, Instant from, Instant to) {
    return entries.stream()
        .filter(e -> e.rail().equals(rail) && !e.completedAt().isBefore(from) && e.completedAt().isBefore(to))
        .sorted(java.util.Comparator.comparing(Entry::completedAt))
        .toList();
  }
}
