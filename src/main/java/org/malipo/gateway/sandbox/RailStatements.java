package org.malipo.gateway.sandbox;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.reconciliation.MajorUnits;
import org.malipo.gateway.reconciliation.StatementFormat;

/**
 * Writes a sandbox rail's statement for one day from its {@link RailJournal} entries, in the
 * rail's {@link StatementFormat} (docs/reconciliation.md), with Apache Commons CSV (RFC 4180).
 */
final class RailStatements {

  /** The sandbox acquirers' interchange fee, basis points of the amount, rounded half-up. */
  static final int INTERCHANGE_BASIS_POINTS = 150;

  private static final ZoneId NAIROBI = ZoneId.of("Africa/Nairobi");
  private static final DateTimeFormatter MPESA_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(NAIROBI);

  private RailStatements() {}

  /** The CSV text (header row first, CRLF line ends) of {@code entries} in {@code format}. */
  static String render(StatementFormat format, List<RailJournal.Entry> entries) {
    StringWriter out = new StringWriter();
    try (CSVPrinter printer = CSVFormat.RFC4180.builder()
        .setHeader(format.columns().toArray(String[]::new)).get().print(out)) {
      long balance = 0;
      for (RailJournal.Entry e : entries) {
        CurrencyUnit currency = CurrencyUnit.fromCode(e.currency()).orElseThrow();
        switch (format) {
          case MPESA_ORGANISATION_STATEMENT -> {
            balance = e.moneyOut() ? Math.subtractExact(balance, e.amountMinor()) : Math.addExact(balance, e.amountMinor());
            String amount = MajorUnits.format(e.amountMinor(), currency);
            printer.printRecord(e.receipt(), MPESA_TIME.format(e.completedAt()), MPESA_TIME.format(e.initiatedAt()),
                (e.moneyOut() ? "Business Payment to " : "Online Payment from ") + e.payer(), "Completed",
                e.moneyOut() ? "" : amount, e.moneyOut() ? amount : "", signed(balance, currency), e.payer(),
                e.railReference());
          }
          case CARD_SETTLEMENT_FILE -> {
            if (e.moneyOut()) {
              continue; // the sandbox acquirers' refunds are not in their settlement files
            }
            long fee = new Money(e.amountMinor(), currency).basisPoints(INTERCHANGE_BASIS_POINTS).amountMinor();
            printer.printRecord(e.railReference(), e.receipt(), iso(e.completedAt()),
                MajorUnits.format(e.amountMinor(), currency), e.currency(), MajorUnits.format(fee, currency),
                MajorUnits.format(e.amountMinor() - fee, currency));
          }
          case MALIPO_STATEMENT_CSV -> printer.printRecord(e.railReference(), e.receipt(), iso(e.completedAt()),
              (e.moneyOut() ? "-" : "") + MajorUnits.format(e.amountMinor(), currency), e.currency(), "", e.payer());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }

  /** The running balance, which money out may take below zero (the sandbox's float is not modelled). */
  private static String signed(long balanceMinor, CurrencyUnit currency) {
    return (balanceMinor < 0 ? "-" : "") + MajorUnits.format(Math.abs(balanceMinor), currency);
  }

  private static String iso(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
  }
}
