package org.malipo.gateway.reconciliation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Reconciliation of random statements against random histories (issue 23): payments, payouts and
 * refunds, money-in and money-out lines. Every line is accounted for exactly once, no record is
 * paired twice nor with a line of the other direction, every unpaired record of the period is
 * reported missing in the rail exactly once, and each result agrees with the amounts it compares.
 */
class MatcherPropertyTests {

  private static final Instant DAY = Instant.parse("2026-12-07T00:00:00Z");

  @Property(tries = 300)
  void everyLineIsAccountedForAndNothingIsMatchedTwice(@ForAll long seed, @ForAll @IntRange(min = 0, max = 40) int payments) {
    Random random = new Random(seed);
    List<Matcher.Record> records = new ArrayList<>();
    for (int i = 0; i < payments; i++) {
      Matcher.Kind kind = Matcher.Kind.values()[random.nextInt(10) < 6 ? 0 : 1 + random.nextInt(2)];
      boolean succeeded = kind.moneyOut() || random.nextInt(10) != 0; // a failed payment with late funds
      long amount = 1 + random.nextInt(100_000);
      records.add(new Matcher.Record(kind.name().toLowerCase() + "_" + i, "mer_" + random.nextInt(3), "ref_" + i,
          random.nextBoolean() ? "RCPT" + i : null, kind.moneyOut() ? -amount : amount,
          random.nextInt(20) == 0 ? "UGX" : "KES", succeeded, succeeded && random.nextInt(5) != 0, random.nextInt(8) == 0,
          random.nextInt(8) == 0, DAY, kind));
    }
    List<StatementLine> lines = new ArrayList<>();
    int line = 2;
    for (Matcher.Record r : records) {
      int fate = random.nextInt(10);
      if (fate == 0) {
        continue; // deleted from the statement
      }
      long sign = Long.signum(r.amountMinor());
      long amount = fate == 1 ? r.amountMinor() + sign * (1 + random.nextInt(50)) : r.amountMinor();
      Long fee = random.nextBoolean() ? null : (long) random.nextInt(3);
      boolean byReceipt = r.receipt() != null && random.nextBoolean();
      lines.add(new StatementLine(line++, byReceipt ? null : r.railReference(), byReceipt ? r.receipt() : null, amount, fee,
          "KES", DAY));
      if (fate == 2) { // reported twice
        lines.add(new StatementLine(line++, r.railReference(), null, amount, fee, "KES", DAY));
      }
      if (fate == 3) { // the same reference in the other direction: never pairs with this record
        lines.add(new StatementLine(line++, r.railReference(), r.receipt(), -amount, null, "KES", DAY));
      }
    }
    for (int i = random.nextInt(4); i > 0; i--) { // the rail's lines the gateway never saw
      lines.add(new StatementLine(line++, "unknown_" + i, null, (random.nextBoolean() ? 1 : -1) * (1 + random.nextInt(1000)),
          null, "KES", DAY));
    }
    java.util.Collections.shuffle(lines, random);

    List<Matcher.Item> items = Matcher.match(lines, records, gross -> random.nextBoolean() ? null : 1L);

    // Every line exactly once.
    List<StatementLine> itemLines = items.stream().map(Matcher.Item::line).filter(l -> l != null).toList();
    assertThat(itemLines).containsExactlyInAnyOrderElementsOf(lines);
    assertThat(new HashSet<>(itemLines.stream().map(StatementLine::line).toList())).hasSize(lines.size());
    // A payment is paired with at most one line, never one paired earlier, and never also missing.
    Map<String, Integer> pairings = new HashMap<>();
    Set<String> missing = new HashSet<>();
    Map<String, Matcher.Record> byId = new HashMap<>();
    records.forEach(r -> byId.put(r.id(), r));
    for (Matcher.Item item : items) {
      switch (item.result()) {
        case MATCHED, AMOUNT_MISMATCH, FEE_MISMATCH -> {
          assertThat(item.record()).isNotNull();
          assertThat(item.record().pairedEarlier()).isFalse();
          assertThat(item.record().succeeded()).isTrue();
          assertThat(item.record().currency()).isEqualTo(item.line().currency());
          assertThat(item.record().kind().moneyOut()).as("same direction").isEqualTo(item.line().moneyOut());
          pairings.merge(item.record().id(), 1, Integer::sum);
          boolean sameAmount = item.line().amountMinor() == item.record().amountMinor();
          assertThat(sameAmount).isEqualTo(item.result() != Matcher.Result.AMOUNT_MISMATCH);
          if (item.result() == Matcher.Result.FEE_MISMATCH) {
            assertThat(item.line().moneyOut()).as("fees are checked on collections only").isFalse();
            assertThat(item.line().feeMinor()).isNotEqualTo(item.expectedFeeMinor());
          }
        }
        case MISSING_IN_GATEWAY -> {
          if (item.record() != null) {
            assertThat(item.record().succeeded()).isFalse();
            assertThat(item.record().kind().moneyOut()).isEqualTo(item.line().moneyOut());
            pairings.merge(item.record().id(), 1, Integer::sum);
          }
        }
        case MISSING_IN_RAIL -> {
          assertThat(item.line()).isNull();
          assertThat(missing.add(item.record().id())).as("reported missing once").isTrue();
        }
      }
    }
    assertThat(pairings.values()).allMatch(count -> count == 1);
    pairings.keySet().forEach(paired -> assertThat(missing).doesNotContain(paired));
    // Every payment of the period that no line pairs with (and not reported before) is missing in the rail.
    for (Matcher.Record r : records) {
      boolean expectedMissing = r.succeeded() && r.inPeriod() && !r.pairedEarlier() && !r.reportedMissing()
          && !pairings.containsKey(r.id());
      assertThat(missing.contains(r.id())).as(r.id()).isEqualTo(expectedMissing);
    }
  }

  @Test
  void aWithdrawnLinePairsWithItsPayoutNeverWithAPaymentOfTheSameReference() {
    Matcher.Record payment = new Matcher.Record("pay_1", "mer_1", "AG_1", "SB1", 100_000, "KES", true, true, false, false, DAY);
    Matcher.Record payout = new Matcher.Record("po_1", "mer_1", "AG_1", "SB1", -100_000, "KES", true, true, false, false, DAY,
        Matcher.Kind.PAYOUT);
    List<Matcher.Item> items = Matcher.match(List.of(new StatementLine(2, "AG_1", "SB1", -100_000, null, "KES", DAY)),
        List.of(payment, payout), gross -> 1L);
    assertThat(items).hasSize(2);
    assertThat(items.getFirst().result()).isEqualTo(Matcher.Result.MATCHED);
    assertThat(items.getFirst().record()).isEqualTo(payout);
    assertThat(items.get(1).result()).isEqualTo(Matcher.Result.MISSING_IN_RAIL);
    assertThat(items.get(1).record()).isEqualTo(payment);
    assertThat(Matcher.match(List.of(new StatementLine(2, "AG_1", null, -90_000, null, "KES", DAY)), List.of(payout),
        gross -> null).getFirst().result()).isEqualTo(Matcher.Result.AMOUNT_MISMATCH);
  }

  @Test
  void aLineIsPairedByReceiptWhenTheReferenceIsUnknown() {
    Matcher.Record r = new Matcher.Record("pay_1", "mer_1", "ws_CO_1", "SBX9", 155_000, "KES", true, true, false, false, DAY);
    List<Matcher.Item> items = Matcher.match(List.of(new StatementLine(2, null, "SBX9", 155_000, null, "KES", DAY)),
        List.of(r), gross -> null);
    assertThat(items).singleElement().satisfies(item -> {
      assertThat(item.result()).isEqualTo(Matcher.Result.MATCHED);
      assertThat(item.record()).isEqualTo(r);
    });
  }

  @Test
  void aWrongFeeIsAFeeMismatchAndAnUncheckedRailIsMatched() {
    Matcher.Record r = new Matcher.Record("pay_1", "mer_1", "auth_1", "00", 10_000, "KES", true, true, false, false, DAY);
    StatementLine line = new StatementLine(2, "auth_1", "123456", 10_000, 200L, "KES", DAY);
    assertThat(Matcher.match(List.of(line), List.of(r), gross -> 150L).getFirst().result())
        .isEqualTo(Matcher.Result.FEE_MISMATCH);
    assertThat(Matcher.match(List.of(line), List.of(r), gross -> null).getFirst().result())
        .isEqualTo(Matcher.Result.MATCHED);
  }
}
