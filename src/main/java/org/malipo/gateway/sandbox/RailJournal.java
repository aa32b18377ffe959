package org.malipo.gateway.sandbox;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the sandbox rails actually moved: one entry per transaction a simulator completed (an STK
 * push paid, a request-to-pay successful, a card authorization captured, a B2C payout or reversal
 * paid, a MoMo transfer successful), the source of the rail statements ({@code GET /v1/sandbox/rails/{rail}/statement}, issue 23).
 *
 * <p>Bounded like every other sandbox store: at most {@value #MAX_ENTRIES} entries, the oldest
 * dropped first; in memory (the sandbox is not persistent, see the package Javadoc). Thread-safe
 * and lock-free: {@link #record} is called on the simulated rails' request path (a reactor event
 * loop), so it never waits for a monitor that a statement's scan of 200,000 entries holds; a scan
 * reads a weakly consistent view instead (an entry recorded meanwhile may or may not be in it).
 */
final class RailJournal {

  /** Entries kept across all rails; the oldest go first. */
  static final int MAX_ENTRIES = 200_000;

  /**
   * One completed transaction as the rail saw it: a collection, or money out (a B2C payout, a
   * reversal, a MoMo transfer).
   *
   * @param rail the gateway's rail name ({@code mpesa}, {@code mtn_momo}, {@code acquirer_a} …)
   * @param railReference the rail's id of the transaction as the gateway stores it (CheckoutRequestID,
   *     X-Reference-Id, authorization id)
   * @param receipt the rail's receipt or approval code (M-Pesa receipt, MoMo financial transaction
   *     id, card approval code)
   * @param payer the payer's (or, money out, the payee's) MSISDN digits or masked card, for the
   *     statement's party column
   * @param amountMinor the amount moved, minor units of {@code currency}, positive
   * @param currency ISO 4217 code
   * @param initiatedAt when the rail received the request
   * @param completedAt when the payer completed it (money out: when the rail paid)
   * @param moneyOut true for money out: M-Pesa's {@code Withdrawn}, a negative Malipo CSV amount
   */
  record Entry(String rail, String railReference, String receipt, String payer, long amountMinor, String currency,
      Instant initiatedAt, Instant completedAt, boolean moneyOut) {

    /** A collection (money in). */
    Entry(String rail, String railReference, String receipt, String payer, long amountMinor, String currency,
        Instant initiatedAt, Instant completedAt) {
      this(rail, railReference, receipt, payer, amountMinor, currency, initiatedAt, completedAt, false);
    }
  }

  private final ConcurrentLinkedDeque<Entry> entries = new ConcurrentLinkedDeque<>();
  /** Entries in {@link #entries}; the deque's own size() walks it. */
  private final AtomicInteger size = new AtomicInteger();

  /** Records one completed transaction; drops the oldest entry past {@value #MAX_ENTRIES}. Constant time. */
  void record(Entry entry) {
    entries.addLast(entry);
    if (size.incrementAndGet() > MAX_ENTRIES && entries.pollFirst() != null) {
      size.decrementAndGet();
    }
  }

  /** The entries of {@code rail} completed in [{@code from}, {@code to}), in completion order. */
  List<Entry> between(String rail, Instant from, Instant to) {
    return entries.stream()
        .filter(e -> e.rail().equals(rail) && !e.completedAt().isBefore(from) && e.completedAt().isBefore(to))
        .sorted(Comparator.comparing(Entry::completedAt))
        .toList();
  }
}
