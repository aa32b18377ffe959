package org.malipo.gateway.fx;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.malipo.gateway.common.CurrencyUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;
import org.springframework.stereotype.Component;

/**
 * Loads the configured rate file ({@code malipo.fx.rates-file}, a Spring resource location such as
 * {@code classpath:fx/sandbox-rates.csv} or {@code file:/etc/malipo/rates.csv}; empty for none) into
 * {@code fx_rates} at start. RFC 4180 CSV (Apache Commons CSV) with the header
 * {@code base,quote,rate,as_of,source}: ISO 4217 codes Malipo supports, a positive decimal rate
 * (1 base = rate quote, at most 12 decimals), an ISO 8601 UTC time, the publisher. At most
 * {@value #LINES_MAX} rates. A malformed file stops the start-up, naming its line: a settlement must
 * never convert at a rate nobody meant.
 */
@Component
final class FxRateFile implements ApplicationRunner {

  static final int LINES_MAX = 10_000;
  static final String[] HEADER = {"base", "quote", "rate", "as_of", "source"};

  private static final Logger log = LoggerFactory.getLogger(FxRateFile.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  /** A busy database at start (connection acquisition times out) is retried a few times, bounded. */
  private static final int RETRIES_MAX = 5;

  private final FxRates rates;
  private final ResourceLoader resources;
  private final String location;

  FxRateFile(FxRates rates, ResourceLoader resources, @Value("${malipo.fx.rates-file:}") String location) {
    this.rates = rates;
    this.resources = resources;
    this.location = location;
  }

  @Override
  public void run(ApplicationArguments args) {
    if (location.isBlank()) {
      return;
    }
    Resource resource = resources.getResource(location);
    List<FxRate> parsed;
    try (Reader reader = new InputStreamReader(resource.getInputStream(), StandardCharsets.UTF_8)) {
      parsed = parse(reader);
    } catch (IOException e) {
      throw new UncheckedIOException("malipo.fx.rates-file " + location + " cannot be read", e);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("malipo.fx.rates-file " + location + ": " + e.getMessage(), e);
    }
    // Start-up on the main thread, not an event loop: waiting here is fine.
    Long added = rates.add(parsed)
        .retryWhen(reactor.util.retry.Retry.backoff(RETRIES_MAX, Duration.ofMillis(500))
            .filter(e -> !(e instanceof org.springframework.dao.DataIntegrityViolationException)))
        .block(TIMEOUT);
    log.info("fx rates: {} read from {}, {} new", parsed.size(), location, added);
  }

  /** A rate file that cannot be used, and its first bad line (the header is line 1). */
  static final class Invalid extends IllegalArgumentException {

    private final long line;

    Invalid(long line, String message) {
      super(message);
      this.line = line;
    }

    /** The first bad line; 1 for the header, the line after the last for a file without rates. */
    long line() {
      return line;
    }
  }

  /**
   * Parses a rate file.
   *
   * @return the rates in file order; {@link Invalid} naming the first bad line (the header is
   *     line 1)
   */
  static List<FxRate> parse(Reader reader) throws IOException {
    CSVFormat format = CSVFormat.RFC4180.builder().setHeader(HEADER).setSkipHeaderRecord(false).setTrim(true).get();
    List<FxRate> out = new ArrayList<>();
    try (CSVParser parser = format.parse(reader)) {
      for (CSVRecord record : parser) {
        long line = record.getRecordNumber();
        if (line == 1) {
          if (!List.of(HEADER).equals(record.toList())) {
            throw new Invalid(1, "line 1: the header must be " + String.join(",", HEADER));
          }
          continue;
        }
        if (out.size() >= LINES_MAX) {
          throw new Invalid(line, "line " + line + ": more than " + LINES_MAX + " rates");
        }
        out.add(rate(record, line));
      }
    } catch (UncheckedIOException e) {
      throw new Invalid(out.size() + 2, "not CSV: " + e.getMessage());
    }
    if (out.isEmpty()) {
      throw new Invalid(2, "no rate in the file");
    }
    return out;
  }

  private static FxRate rate(CSVRecord record, long line) {
    if (record.size() != HEADER.length) {
      throw new Invalid(line, "line " + line + ": " + HEADER.length + " fields expected, " + record.size() + " found");
    }
    CurrencyUnit base = currency(record.get(0), line);
    CurrencyUnit quote = currency(record.get(1), line);
    try {
      if (!record.get(2).matches("\\d{1,18}(\\.\\d{1,12})?")) {
        throw new IllegalArgumentException("rate '" + record.get(2) + "' must be a positive decimal, at most 12 decimals");
      }
      return new FxRate(base, quote, new BigDecimal(record.get(2)), Instant.parse(record.get(3)), record.get(4));
    } catch (DateTimeParseException e) {
      throw new Invalid(line, "line " + line + ": as_of '" + record.get(3) + "' is not an ISO 8601 UTC time");
    } catch (Invalid e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new Invalid(line, "line " + line + ": " + e.getMessage());
    }
  }

  private static CurrencyUnit currency(String code, long line) {
    return CurrencyUnit.fromCode(code).orElseThrow(
        () -> new Invalid(line, "line " + line + ": '" + code + "' is not an ISO 4217 currency Malipo supports"));
  }
}
