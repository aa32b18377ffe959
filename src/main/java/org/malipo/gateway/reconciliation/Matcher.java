package org.malipo.gateway.reconciliation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * Pairs a statement's lines with the gateway's records (docs/reconciliation.md): money-in lines
 * with payments, money-out lines (negative amounts) with payouts and refunds; a line never pairs
 * with a record of the other direction. Pure and deterministic. Guarantees, checked by
 * {@code MatcherPropertyTests}: every line gets exactly one item; a record pairs with at most one
 * line (within the run, and never again once an earlier run paired it); every record of the
 * period that no line pairs with is reported {@code missing_in_rail} once (unless an earlier run
 * reported it already).
 */
final class Matcher {

  private Matcher() {}

  /** Results, with their wire names. */
  enum Result {
    MATCHED, AMOUNT_MISMATCH, FEE_MISMATCH, MISSING_IN_RAIL, MISSING_IN_GATEWAY;

    String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    static Result fromWire(String wire) {
      return valueOf(wire.toUpperCase(java.util.Locale.ROOT));
    }
  }

  /** What a gateway record is: money in (a payment) or money out (a payout, a refund). */
  enum Kind {
    PAYMENT, PAYOUT, REFUND;

    boolean moneyOut() {
      return this != PAYMENT;
    }
  }

  /**
   * A gateway payment, payout or refund the statement may report.
   *
   * @param id the payment's, payout's or refund's id
   * @param railReference the rail reference stored on the attempt, payout or refund
   * @param receipt the rail's receipt stored on it, or null
   * @param amountMinor minor units, signed like a statement line: a payment's captured amount (or
   *     its late funds), positive; a payout's or refund's amount, negative
   * @param succeeded true: a succeeded payment with its capture, or a succeeded payout or refund;
   *     false: a failed payment whose funds the rail confirmed late (they sit in suspense)
   * @param inPeriod succeeded within the statement's period (captured, paid out, refunded), in its
   *     currency
   * @param pairedEarlier an earlier run paired it with a line already
   * @param reportedMissing an earlier run reported it {@code missing_in_rail}
   * @param kind payment, payout or refund
   */
  record Record(String id, String merchantId, String railReference, String receipt, long amountMinor,
      String currency, boolean succeeded, boolean inPeriod, boolean pairedEarlier, boolean reportedMissing,
      Instant capturedAt, Kind kind) {

    /** A payment. */
    Record(String id, String merchantId, String railReference, String receipt, long amountMinor, String currency,
        boolean succeeded, boolean inPeriod, boolean pairedEarlier, boolean reportedMissing, Instant capturedAt) {
      this(id, merchantId, railReference, receipt, amountMinor, currency, succeeded, inPeriod, pairedEarlier,
          reportedMissing, capturedAt, Kind.PAYMENT);
    }
  }

  /**
   * One result.
   *
   * @param line the statement line, null for {@code missing_in_rail}
   * @param record the payment, null when none pairs with the line
   * @param expectedFeeMinor the rail fee the configuration expects for the line, or null
   * @param detail why, for operators
   */
  record Item(StatementLine line, Record record, Result result, Long expectedFeeMinor, String detail) {}

  /**
   * @param expectedFee the rail's fee for a gross amount in minor units, or null when the rail's
   *     fees are not checked
   */
  static List<Item> match(List<StatementLine> lines, List<Record> records, LongFunction<Long> expectedFee) {
    Map<String, Record> byReference = new HashMap<>();
    Map<String, Record> byReceipt = new HashMap<>();
    // Keys carry the direction: a money-out line never pairs with a payment, nor a collection with a payout.
    for (Record r : records) {
      if (r.railReference() != null) {
        byReference.putIfAbsent(key(r.kind().moneyOut(), r.railReference()), r);
      }
      if (r.receipt() != null && !r.receipt().matches("0+")) {
        byReceipt.putIfAbsent(key(r.kind().moneyOut(), r.receipt()), r);
      }
    }
    Set<String> paired = new HashSet<>();
    List<Item> items = new ArrayList<>(lines.size() + records.size());
    for (StatementLine line : lines) {
      Record r = line.railReference() == null ? null : byReference.get(key(line.moneyOut(), line.railReference()));
      if (r == null && line.receipt() != null) {
        r = byReceipt.get(key(line.moneyOut(), line.receipt()));
      }
      if (r == null) {
        items.add(new Item(line, null, Result.MISSING_IN_GATEWAY, null, line.moneyOut()
            ? "no gateway payout or refund has this reference" : "no gateway payment has this reference"));
      } else if (r.pairedEarlier() || paired.contains(r.id())) {
        items.add(new Item(line, null, Result.MISSING_IN_GATEWAY, null,
            name(r) + " is already paired with another statement line"));
      } else if (!r.currency().equals(line.currency())) {
        items.add(new Item(line, null, Result.MISSING_IN_GATEWAY, null,
            name(r) + " is in " + r.currency() + ", the line in " + line.currency()));
      } else {
        paired.add(r.id());
        items.add(paired(line, r, expectedFee));
      }
    }
    for (Record r : records) {
      if (r.succeeded() && r.inPeriod() && !r.pairedEarlier() && !r.reportedMissing() && !paired.contains(r.id())) {
        items.add(new Item(null, r, Result.MISSING_IN_RAIL, null, "succeeded at the gateway; the rail's statement lacks it"));
      }
    }
    return items;
  }

  private static String key(boolean moneyOut, String reference) {
    return (moneyOut ? "out:" : "in:") + reference;
  }

  private static String name(Record r) {
    return r.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + r.id();
  }

  private static Item paired(StatementLine line, Record r, LongFunction<Long> expectedFee) {
    if (!r.succeeded()) {
      return new Item(line, r, Result.MISSING_IN_GATEWAY, null,
          "payment " + r.id() + " failed at the gateway; the rail collected it (late funds)");
    }
    if (line.amountMinor() != r.amountMinor()) {
      return new Item(line, r, Result.AMOUNT_MISMATCH, null,
          "rail amount " + line.amountMinor() + " differs from gateway amount " + r.amountMinor());
    }
    // Fees are checked on collections only: the configured rail fee is a share of money in.
    Long expected = line.feeMinor() == null || line.moneyOut() ? null : expectedFee.apply(line.amountMinor());
    if (expected != null && !expected.equals(line.feeMinor())) {
      return new Item(line, r, Result.FEE_MISMATCH, expected,
          "rail fee " + line.feeMinor() + " differs from the expected " + expected);
    }
    return new Item(line, r, Result.MATCHED, expected, null);
  }
}
