package org.malipo.gateway.reconciliation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;

/** Statement files read strictly, each fault named by its line (the header is line 1). */
class StatementParserUnitTests {

  private static final String MPESA_HEADER = "Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,"
      + "Paid In,Withdrawn,Balance,Other Party Info,Linked Transaction ID\r\n";
  private static final String MALIPO_HEADER = "rail_reference,receipt,completed_at,amount,currency,fee,payer\n";
  private static final String CARD_HEADER = "rail_reference,authorization_code,transaction_time,amount,currency,interchange_fee,net\n";

  private static List<StatementLine> parse(StatementFormat format, String text) {
    return StatementParser.parse(format, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsAnMpesaOrganisationStatementInEastAfricaTime() {
    List<StatementLine> lines = parse(StatementFormat.MPESA_ORGANISATION_STATEMENT, MPESA_HEADER
        + "SBX1A,2026-12-07 13:45:12,2026-12-07 13:45:10,\"Online Payment from 254708374149, Jane\",Completed,\"1,550.00\",,1550.00,254708374149,ws_CO_1\r\n");
    assertThat(lines).containsExactly(new StatementLine(2, "ws_CO_1", "SBX1A", 155_000, null, "KES",
        Instant.parse("2026-12-07T10:45:12Z")));
  }

  @Test
  void readsMoneyOutAsNegativeLines() {
    List<StatementLine> mpesa = parse(StatementFormat.MPESA_ORGANISATION_STATEMENT, MPESA_HEADER
        + "SB1,2026-12-07 13:45:12,2026-12-07 13:45:10,Business Payment to 254708374149,Completed,,\"1,000.00\",-1000.00,254708374149,AG_1\r\n");
    assertThat(mpesa).containsExactly(new StatementLine(2, "AG_1", "SB1", -100_000, null, "KES",
        Instant.parse("2026-12-07T10:45:12Z")));
    assertThat(mpesa.getFirst().moneyOut()).isTrue();
    List<StatementLine> malipo = parse(StatementFormat.MALIPO_STATEMENT_CSV, MALIPO_HEADER
        + "ref_1,r1,2026-12-07T10:00:00Z,-5000,XOF,,2250707000000\n");
    assertThat(malipo).containsExactly(new StatementLine(2, "ref_1", "r1", -5_000, null, "XOF",
        Instant.parse("2026-12-07T10:00:00Z")));
  }

  @Test
  void readsACardSettlementFileWithItsFees() {
    List<StatementLine> lines = parse(StatementFormat.CARD_SETTLEMENT_FILE, CARD_HEADER
        + "auth_1,123456,2026-12-07T10:00:00Z,15.50,KES,0.23,15.27\n");
    assertThat(lines).containsExactly(new StatementLine(2, "auth_1", "123456", 1_550, 23L, "KES",
        Instant.parse("2026-12-07T10:00:00Z")));
  }

  @Test
  void namesTheLineOfEachFault() {
    String ok = "auth_1,123456,2026-12-07T10:00:00Z,15.50,KES,0.23,15.27\n";
    assertLine(StatementFormat.CARD_SETTLEMENT_FILE, "rail_reference,amount\n" + ok, 1, "header");
    assertLine(StatementFormat.CARD_SETTLEMENT_FILE, CARD_HEADER + ok + "auth_2,1,2026-12-07T10:00:00Z,-5,KES,0,0\n", 3, "amount");
    assertLine(StatementFormat.CARD_SETTLEMENT_FILE, CARD_HEADER + ok + "auth_2,1,2026-12-07T10:00:00Z,5.00,KES,0.10,4.00\n", 3, "net");
    assertLine(StatementFormat.CARD_SETTLEMENT_FILE, CARD_HEADER + ok + "auth_2,1,yesterday,5.00,KES,0.10,4.90\n", 3, "transaction_time");
    assertLine(StatementFormat.CARD_SETTLEMENT_FILE, CARD_HEADER + ok + "auth_2,1,2026-12-07T10:00:00Z,5.00,UGX,0,5\n", 3, "amount");
    assertLine(StatementFormat.CARD_SETTLEMENT_FILE, CARD_HEADER + ok + "auth_2,1,2026-12-07T10:00:00Z,5,UGX,0,5\n", 3, "currency");
    assertLine(StatementFormat.CARD_SETTLEMENT_FILE, CARD_HEADER + ok + "auth_2,1\n", 3, "fields");
    assertLine(StatementFormat.CARD_SETTLEMENT_FILE, CARD_HEADER + ok + ",1,2026-12-07T10:00:00Z,5.00,KES,0,5.00\n", 3, "rail_reference");
    assertLine(StatementFormat.CARD_SETTLEMENT_FILE, CARD_HEADER, 1, "no transaction");
    assertLine(StatementFormat.CARD_SETTLEMENT_FILE, CARD_HEADER + ok + "\"auth_2,1\n", 3, "CSV");
    assertLine(StatementFormat.MPESA_ORGANISATION_STATEMENT, MPESA_HEADER
        + "SBX1,2026-12-07 13:45:12,,x,Completed,5.00,100.00,0.00,2547,\r\n", 2, "Withdrawn");
    assertLine(StatementFormat.MPESA_ORGANISATION_STATEMENT, MPESA_HEADER
        + "SBX1,2026-12-07 13:45:12,,x,Completed,,,0.00,2547,\r\n", 2, "Withdrawn");
    assertLine(StatementFormat.MPESA_ORGANISATION_STATEMENT, MPESA_HEADER
        + "SBX1,2026-12-07 13:45:12,,x,Completed,,-100.00,0.00,2547,\r\n", 2, "Withdrawn");
    assertLine(StatementFormat.MALIPO_STATEMENT_CSV, MALIPO_HEADER + "ref_1,r,2026-12-07T10:00:00Z,--5,XOF,,x\n", 2, "amount");
    assertLine(StatementFormat.MALIPO_STATEMENT_CSV, MALIPO_HEADER + "ref_1,r,2026-12-07T10:00:00Z,-0,XOF,,x\n", 2, "amount");
    assertLine(StatementFormat.MPESA_ORGANISATION_STATEMENT, MPESA_HEADER
        + "SBX1,07/12/2026,,x,Completed,1.00,,1.00,2547,\r\n", 2, "Completion Time");
    assertLine(StatementFormat.MPESA_ORGANISATION_STATEMENT, MPESA_HEADER
        + "SBX1,2026-12-07 13:45:12,,x,Failed,1.00,,1.00,2547,\r\n", 2, "Completed");
  }

  @Test
  void refusesBytesThatAreNotUtf8() {
    byte[] body = new byte[] {(byte) 0xC3, (byte) 0x28};
    assertThatThrownBy(() -> StatementParser.parse(StatementFormat.CARD_SETTLEMENT_FILE, body))
        .isInstanceOfSatisfying(StatementInvalidException.class, e -> assertThat(e.line()).isEqualTo(1));
  }

  @Test
  void majorUnitsRoundTripWithTheCurrencyExponent() {
    assertThat(MajorUnits.format(155_005, CurrencyUnit.KES)).isEqualTo("1550.05");
    assertThat(MajorUnits.format(5_000, CurrencyUnit.UGX)).isEqualTo("5000");
    assertThat(MajorUnits.parse("1,550.5", CurrencyUnit.KES)).isEqualTo(155_050);
    assertThat(MajorUnits.parse("7", CurrencyUnit.KES)).isEqualTo(700);
    assertThatThrownBy(() -> MajorUnits.parse("1.005", CurrencyUnit.KES)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MajorUnits.parse("1e5", CurrencyUnit.KES)).isInstanceOf(IllegalArgumentException.class);
  }

  private static void assertLine(StatementFormat format, String text, int line, String mentions) {
    assertThatThrownBy(() -> parse(format, text))
        .isInstanceOfSatisfying(StatementInvalidException.class, e -> {
          assertThat(e.line()).isEqualTo(line);
          assertThat(e.getMessage()).containsIgnoringCase(mentions);
        });
  }
}
