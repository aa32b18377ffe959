package org.malipo.gateway.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.reconciliation.StatementFormat;
import org.malipo.gateway.reconciliation.StatementLine;
import org.malipo.gateway.reconciliation.StatementParser;

/** What the sandbox rails write, the reconciliation reads back unchanged, in each format. */
class RailStatementsUnitTests {

  private static final Instant AT = Instant.parse("2026-12-07T10:45:12Z");

  @Test
  void mpesaStatementHasTheOrganisationStatementColumnsAndReadsBack() {
    RailJournal.Entry entry = new RailJournal.Entry("mpesa", "ws_CO_1", "SBX1A", "254708374149", 155_000, "KES",
        AT.minusSeconds(2), AT);
    String csv = RailStatements.render(StatementFormat.MPESA_ORGANISATION_STATEMENT, List.of(entry, entry));
    assertThat(csv.lines().findFirst().orElseThrow()).isEqualTo("Receipt No.,Completion Time,Initiation Time,Details,"
        + "Transaction Status,Paid In,Withdrawn,Balance,Other Party Info,Linked Transaction ID");
    assertThat(csv).contains("SBX1A,2026-12-07 13:45:12,2026-12-07 13:45:10,Online Payment from 254708374149,Completed,"
        + "1550.00,,3100.00,254708374149,ws_CO_1");
    assertThat(StatementParser.parse(StatementFormat.MPESA_ORGANISATION_STATEMENT, csv.getBytes(StandardCharsets.UTF_8)))
        .first().isEqualTo(new StatementLine(2, "ws_CO_1", "SBX1A", 155_000, null, "KES", AT));
  }

  @Test
  void cardSettlementFileCarriesInterchangeAndNet() {
    String csv = RailStatements.render(StatementFormat.CARD_SETTLEMENT_FILE,
        List.of(new RailJournal.Entry("acquirer_a", "auth_1", "123456", "**** 4242", 1_550, "KES", AT, AT)));
    assertThat(csv).contains("auth_1,123456,2026-12-07T10:45:12Z,15.50,KES,0.23,15.27");
    assertThat(StatementParser.parse(StatementFormat.CARD_SETTLEMENT_FILE, csv.getBytes(StandardCharsets.UTF_8)))
        .containsExactly(new StatementLine(2, "auth_1", "123456", 1_550, 23L, "KES", AT));
  }

  @Test
  void otherRailsUseMalipoStatementCsv() {
    String csv = RailStatements.render(StatementFormat.MALIPO_STATEMENT_CSV,
        List.of(new RailJournal.Entry("mtn_momo", "0f8e", "998877", "256770000000", 50_000, "UGX", AT, AT)));
    assertThat(StatementParser.parse(StatementFormat.MALIPO_STATEMENT_CSV, csv.getBytes(StandardCharsets.UTF_8)))
        .containsExactly(new StatementLine(2, "0f8e", "998877", 50_000, null, "UGX", AT));
  }

  @Test
  void moneyOutIsWithdrawnOnMpesaAndNegativeInMalipoCsvAndAbsentFromCardFiles() {
    RailJournal.Entry in = new RailJournal.Entry("mpesa", "ws_CO_1", "SBX1A", "254708374149", 155_000, "KES", AT, AT);
    RailJournal.Entry out = new RailJournal.Entry("mpesa", "AG_1", "SB1", "254708374149", 200_000, "KES", AT, AT, true);
    String mpesa = RailStatements.render(StatementFormat.MPESA_ORGANISATION_STATEMENT, List.of(in, out));
    assertThat(mpesa).contains("SB1,2026-12-07 13:45:12,2026-12-07 13:45:12,Business Payment to 254708374149,Completed,,"
        + "2000.00,-450.00,254708374149,AG_1");
    assertThat(StatementParser.parse(StatementFormat.MPESA_ORGANISATION_STATEMENT, mpesa.getBytes(StandardCharsets.UTF_8)))
        .last().isEqualTo(new StatementLine(3, "AG_1", "SB1", -200_000, null, "KES", AT));
    String momo = RailStatements.render(StatementFormat.MALIPO_STATEMENT_CSV,
        List.of(new RailJournal.Entry("mtn_momo", "0f8e", "", "256770000000", 50_000, "UGX", AT, AT, true)));
    assertThat(momo).contains("0f8e,,2026-12-07T10:45:12Z,-50000,UGX,,256770000000");
    assertThat(StatementParser.parse(StatementFormat.MALIPO_STATEMENT_CSV, momo.getBytes(StandardCharsets.UTF_8)))
        .containsExactly(new StatementLine(2, "0f8e", null, -50_000, null, "UGX", AT));
    String card = RailStatements.render(StatementFormat.CARD_SETTLEMENT_FILE, List.of(
        new RailJournal.Entry("acquirer_a", "auth_1", "123456", "**** 4242", 1_550, "KES", AT, AT),
        new RailJournal.Entry("acquirer_a", "auth_2", "654321", "**** 4242", 1_000, "KES", AT, AT, true)));
    assertThat(card).doesNotContain("auth_2");
  }

  @Test
  void theJournalKeepsTheDayAndDropsTheOldestPastItsBound() {
    RailJournal journal = new RailJournal();
    for (int i = 0; i < RailJournal.MAX_ENTRIES + 5; i++) {
      journal.record(new RailJournal.Entry("mpesa", "ws_" + i, "R" + i, "2547", 100, "KES", AT, AT.plusMillis(i)));
    }
    List<RailJournal.Entry> day = journal.between("mpesa", AT, AT.plusSeconds(86_400));
    assertThat(day).hasSize(RailJournal.MAX_ENTRIES);
    assertThat(day.getFirst().railReference()).isEqualTo("ws_5");
    assertThat(journal.between("acquirer_a", AT, AT.plusSeconds(86_400))).isEmpty();
  }
}
