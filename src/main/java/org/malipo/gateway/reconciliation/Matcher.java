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
 * Pairs a statement's lines with the gateway's payments (docs/reconciliation.md). Pure and
 * deterministic. Guarantees, checked by {@code MatcherPropertyTests}: every line gets exactly one
 * item; a payment pairs with at most one line (within the run, and never again once an earlier
 * run paired it); every payment of the period that no line pairs with is reported
 * {@code missing_in_rail} once (unless an earlier run reported it already).
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

  /**
   * A gateway payment the statement may report.
   *
   * @param railReference the attempt's rail reference
   * @param receipt the rail's receipt stored on the attempt, or null
   * @param amountMinor the captured amount (or the late funds), minor units
   * @param succeeded true: a succeeded payment with its capture; false: a failed payment whose
   *     funds the rail confirmed late (they sit in suspense)
   * @param inPeriod a succeeded payment captured within the statement's period, in its currency
   * @param pairedEarlier an earlier run paired it with a line already
   * @param reportedMissing an earlier run reported it {@code missing_in_rail}
   */
  record Record(String paymentId, String merchantId, String railReference, String receipt, long amountMinor,
      String currency, boolean succeeded, boolean inPeriod, boolean pairedEarlier, boolean reportedMissing,
      Instant capturedAt) {}

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
    for (Record r : records) {
      if (r.railReference() != null) {
        byReference.putIfAbsent(r.railReference(), r);
      }
      if (r.receipt() != null && !r.receipt().matches("0+")) {
        byReceipt.putIfAbsent(r.receipt(), r);
      }
    }
    Set<String> paired = new HashSet<>();
    List<Item> items = new ArrayList<>(lines.size() + records.size());
    for (StatementLine line : lines) {
      Record r = line.railReference() == null ? null : byReference.get(line.railReference());
      if (r == null && line.receipt() != null) {
        r = byReceipt.get(line.receipt());
      }
      if (r == null) {
        items.add(new Item(line, null, Result.MISSING_IN_GATEWAY, null, "no gateway payment has this reference"));
      } else if (r.pairedEarlier() || paired.contains(r.paymentId())) {
        items.add(new Item(line, null, Result.MISSING_IN_GATEWAY, null,
            "payment " + r.paymentId() + " is already paired with another statement line"));
      } else if (!r.currency().equals(line.currency())) {
        items.add(new Item(line, null, Result.MISSING_IN_GATEWAY, null,
            "payment " + r.paymentId() + " is in " + r.currency() + ", the line in " + line.currency()));
      } else {
        paired.add(r.paymentId());
        items.add(paired(line, r, expectedFee));
      }
    }
    for (Record r : records) {
      if (r.succeeded() && r.inPeriod() && !r.pairedEarlier() && !r.reportedMissing() && !paired.contains(r.paymentId())) {
        items.add(new Item(null, r, Result.MISSING_IN_RAIL, null, "succeeded at the gateway; the rail's statement lacks it"));
      }
    }
    return items;
  }

  private static Item paired(StatementLine line, Record r, LongFunction<Long> expectedFee) {
    if (!r.succeeded()) {
      return new Item(line, r, Result.MISSING_IN_GATEWAY, null,
          "payment " + r.paymentId() + " failed at the gateway; the rail collected it (late funds)");
    }
    if (line.amountMinor() != r.amountMinor()) {
      return new Item(line, r, Result.AMOUNT_MISMATCH, null,
          "rail amount " + line.amountMinor() + " differs from gateway amount " + r.amountMinor());
    }
    Long expected = line.feeMinor() == null ? null : expectedFee.apply(line.amountMinor());
    if (expected != null && !expected.equals(line.feeMinor())) {
      return new Item(line, r, Result.FEE_MISMATCH, expected,
          "rail fee " + line.feeMinor() + " differs from the expected " + expected);
    }
    return new Item(line, r, Result.MATCHED, expected, null);
  }
}
