package org.malipo.gateway.common;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.json.JsonWriter;
import org.springframework.boot.logging.structured.StructuredLoggingJsonMembersCustomizer;

/**
 * Last line of defence of the structured log ({@code logging.structured.json.customizer}): every
 * string written into a JSON log line (message, exception text, MDC values) is scrubbed of
 * credentials and card numbers that a careless log call or a library's exception might carry.
 * The code never logs them on purpose; this catches the accident (PCI DSS v4 req. 3.3, 10.3).
 *
 * <p>Redacted: {@code Bearer …} and {@code Basic …} credentials, JWTs ({@code eyJ…}), client
 * secrets ({@code sk_…}), webhook secrets ({@code whsec_…}), {@code client_secret=…} form values,
 * and runs of 13-19 digits that pass the Luhn check (a PAN). Cost: a few regex scans per line.
 */
public final class LogRedaction implements StructuredLoggingJsonMembersCustomizer<Object> {

  private static final Pattern CREDENTIALS = Pattern.compile(
      "(?i)\\b(bearer|basic)\\s+[A-Za-z0-9._~+/=-]+"
          + "|eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]+\\.?[A-Za-z0-9_-]*"
          + "|\\b(sk|whsec)_[A-Za-z0-9_-]{8,}"
          + "|(?i)(client_secret|secret|password)=[^&\\s,;]+");
  /**
   * Our own ids ({@code pay_…}, {@code att_…_1}: a prefix and 32 hex digits) first, so a run of
   * digits inside one is never read as a card number; then the digit runs themselves.
   */
  private static final Pattern DIGITS = Pattern.compile(
      "\\b[a-z]{2,5}_[0-9a-f]{32}(?:_\\d{1,4})?\\b|(?<!\\d)\\d{13,19}(?!\\d)");

  /** Used by Spring Boot's structured logging (reflection, no arguments). */
  public LogRedaction() {}

  @Override
  public void customize(JsonWriter.Members<Object> members) {
    members.applyingValueProcessor(JsonWriter.ValueProcessor.of(String.class, LogRedaction::redact));
  }

  /**
   * {@code text} with credentials and PANs replaced by {@code [redacted]}.
   *
   * @param text any log text, may be null
   */
  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String scrubbed = CREDENTIALS.matcher(text).replaceAll("[redacted]");
    Matcher digits = DIGITS.matcher(scrubbed);
    StringBuilder out = new StringBuilder(scrubbed.length());
    while (digits.find()) {
      String run = digits.group();
      boolean pan = Character.isDigit(run.charAt(0)) && luhn(run);
      digits.appendReplacement(out, Matcher.quoteReplacement(pan ? "[redacted-pan]" : run));
    }
    digits.appendTail(out);
    return out.toString();
  }

  private static boolean luhn(String number) {
    int sum = 0;
    boolean twice = false;
    for (int i = number.length() - 1; i >= 0; i--) {
      int digit = number.charAt(i) - '0';
      if (twice) {
        digit *= 2;
        if (digit > 9) {
          digit -= 9;
        }
      }
      sum += digit;
      twice = !twice;
    }
    return sum % 10 == 0;
  }
}
