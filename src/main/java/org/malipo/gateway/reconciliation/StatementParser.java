package org.malipo.gateway.reconciliation;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.malipo.gateway.common.CurrencyUnit;

/**
 * Reads a rail statement ({@link StatementFormat}) with Apache Commons CSV into
 * {@link StatementLine}s, strictly: the header must be exactly the format's columns, every line
 * must have them all, one currency per file, at most {@value #MAX_LINES} lines. Any fault is a
 * {@link StatementInvalidException} naming the line. Pure: no I/O but the given bytes.
 */
public final class StatementParser {

  /** Lines a statement may have (a busy rail's day for one gateway). */
  public static final int MAX_LINES = 100_000;

  private static final ZoneId NAIROBI = ZoneId.of("Africa/Nairobi");
  private static final DateTimeFormatter MPESA_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  private StatementParser() {}

  /** The statement's lines, in file order; never empty. */
  public static List<StatementLine> parse(StatementFormat format, byte[] body) {
    String text = utf8(body);
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    List<StatementLine> lines = new ArrayList<>();
    try (CSVParser parser = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get().parse(new StringReader(text))) {
      String currency = null;
      for (CSVRecord record : parser) {
        int line = Math.toIntExact(record.getRecordNumber());
        if (line == 1) {
          if (!record.toList().stream().map(String::strip).toList().equals(format.columns())) {
            throw new StatementInvalidException(1, "the header must be exactly: " + String.join(",", format.columns()));
          }
          continue;
        }
        if (line - 1 > MAX_LINES) {
          throw new StatementInvalidException(line, "more than " + MAX_LINES + " lines");
        }
        if (record.size() != format.columns().size()) {
          throw new StatementInvalidException(line, "expected " + format.columns().size() + " fields, found " + record.size());
        }
        StatementLine read = read(format, line, record);
        if (currency == null) {
          currency = read.currency();
        } else if (!currency.equals(read.currency())) {
          throw new StatementInvalidException(line, "currency " + read.currency() + " differs from " + currency
              + " (one currency per statement)");
        }
        lines.add(read);
      }
    } catch (IOException | UncheckedIOException | IllegalStateException e) {
      // Commons CSV reports an unterminated quote or a character after a closing quote this way.
      throw new StatementInvalidException(lines.size() + 2, "not valid CSV (" + e.getMessage() + ")");
    }
    if (lines.isEmpty()) {
      throw new StatementInvalidException(1, "the statement has no transaction lines");
    }
    return lines;
  }

  private static StatementLine read(StatementFormat format, int line, CSVRecord r) {
    return switch (format) {
      case MPESA_ORGANISATION_STATEMENT -> {
        String receipt = required(line, r, 0, "Receipt No.");
        Instant completed = mpesaTime(line, required(line, r, 1, "Completion Time"));
        if (!"Completed".equals(r.get(4).strip())) {
          throw new StatementInvalidException(line, "Transaction Status '" + r.get(4) + "' is not Completed");
        }
        String paidIn = r.get(5).strip();
        String withdrawn = r.get(6).strip();
        if (paidIn.isEmpty() == withdrawn.isEmpty()) {
          throw new StatementInvalidException(line, "exactly one of Paid In and Withdrawn must be filled");
        }
        // Withdrawn: money out (a B2C payout, a reversal), negative in the line.
        long amount = paidIn.isEmpty() ? -amount(line, withdrawn, CurrencyUnit.KES, "Withdrawn")
            : amount(line, paidIn, CurrencyUnit.KES, "Paid In");
        String linked = r.get(9).strip();
        yield new StatementLine(line, linked.isEmpty() ? null : linked, receipt, amount, null, "KES", completed);
      }
      case CARD_SETTLEMENT_FILE -> {
        String reference = required(line, r, 0, "rail_reference");
        Instant at = isoTime(line, required(line, r, 2, "transaction_time"), "transaction_time");
        CurrencyUnit currency = currency(line, r.get(4));
        long amount = amount(line, r.get(3), currency, "amount");
        long fee = fee(line, r.get(5), currency, "interchange_fee");
        long net = fee(line, r.get(6), currency, "net");
        if (Math.subtractExact(amount, fee) != net) {
          throw new StatementInvalidException(line, "net " + r.get(6) + " is not amount " + r.get(3) + " minus interchange_fee "
              + r.get(5));
        }
        String code = r.get(1).strip();
        yield new StatementLine(line, reference, code.isEmpty() ? null : code, amount, fee, currency.code(), at);
      }
      case MALIPO_STATEMENT_CSV -> {
        String reference = required(line, r, 0, "rail_reference");
        Instant at = isoTime(line, required(line, r, 2, "completed_at"), "completed_at");
        CurrencyUnit currency = currency(line, r.get(4));
        // A leading minus: money out (a payout or refund the rail paid), negative in the line.
        String text = r.get(3).strip();
        long amount = text.startsWith("-") ? -amount(line, text.substring(1), currency, "amount")
            : amount(line, text, currency, "amount");
        Long fee = r.get(5).isBlank() ? null : fee(line, r.get(5), currency, "fee");
        String receipt = r.get(1).strip();
        yield new StatementLine(line, reference, receipt.isEmpty() ? null : receipt, amount, fee, currency.code(), at);
      }
    };
  }

  private static String required(int line, CSVRecord r, int index, String column) {
    String value = r.get(index).strip();
    if (value.isEmpty()) {
      throw new StatementInvalidException(line, column + " is empty");
    }
    if (value.length() > 200) {
      throw new StatementInvalidException(line, column + " is longer than 200 characters");
    }
    return value;
  }

  private static long amount(int line, String text, CurrencyUnit currency, String column) {
    long value = fee(line, text, currency, column);
    if (value <= 0) {
      throw new StatementInvalidException(line, column + " must be positive");
    }
    return value;
  }

  private static long fee(int line, String text, CurrencyUnit currency, String column) {
    try {
      return MajorUnits.parse(text, currency);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new StatementInvalidException(line, column + ": " + e.getMessage());
    }
  }

  private static CurrencyUnit currency(int line, String code) {
    return CurrencyUnit.fromCode(code.strip())
        .orElseThrow(() -> new StatementInvalidException(line, "currency '" + code + "' is not supported"));
  }

  private static Instant mpesaTime(int line, String text) {
    try {
      return LocalDateTime.parse(text, MPESA_TIME).atZone(NAIROBI).toInstant();
    } catch (DateTimeParseException e) {
      throw new StatementInvalidException(line, "Completion Time '" + text + "' is not yyyy-MM-dd HH:mm:ss");
    }
  }

  private static Instant isoTime(int line, String text, String column) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new StatementInvalidException(line, column + " '" + text + "' is not an ISO 8601 UTC time");
    }
  }

  private static String utf8(byte[] body) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
    } catch (CharacterCodingException e) {
      throw new StatementInvalidException(1, "the file is not UTF-8 text");
    }
  }
}
