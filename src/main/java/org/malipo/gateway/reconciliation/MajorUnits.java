package org.malipo.gateway.reconciliation;

import org.malipo.gateway.common.CurrencyUnit;

/**
 * Amounts as rail statements print them: major units with the currency's ISO 4217 exponent of
 * decimals ({@code "1550.00"} KES, {@code "5000"} XOF), converted to and from minor units with
 * integer arithmetic only (DESIGN.md §4: no floating point on the money path).
 */
public final class MajorUnits {

  private static final long MAX_MINOR = 1_000_000_000_000_000L;

  private MajorUnits() {}

  /** {@code 155000} KES → {@code "1550.00"}; {@code 5000} XOF → {@code "5000"}. */
  public static String format(long amountMinor, CurrencyUnit currency) {
    int exponent = currency.exponent();
    if (exponent == 0) {
      return Long.toString(amountMinor);
    }
    long scale = pow10(exponent);
    String sign = amountMinor < 0 ? "-" : "";
    long abs = Math.abs(amountMinor);
    String fraction = Long.toString(abs % scale);
    return sign + (abs / scale) + "." + "0".repeat(exponent - fraction.length()) + fraction;
  }

  /**
   * {@code "1,550.00"} or {@code "1550.5"} KES → {@code 155050}: optional thousands commas, at most
   * the currency's exponent of decimals, no sign.
   *
   * @throws IllegalArgumentException for anything else, or an amount over 10^18 minor units
   */
  public static long parse(String text, CurrencyUnit currency) {
    String plain = text.strip().replace(",", "");
    if (!plain.matches("\\d{1,18}(\\.\\d{1," + Math.max(1, currency.exponent()) + "})?")
        || (currency.exponent() == 0 && plain.contains("."))) {
      throw new IllegalArgumentException("'" + text + "' is not an amount in " + currency.code()
          + " (digits, at most " + currency.exponent() + " decimals)");
    }
    int dot = plain.indexOf('.');
    String whole = dot < 0 ? plain : plain.substring(0, dot);
    String fraction = dot < 0 ? "" : plain.substring(dot + 1);
    fraction = fraction + "0".repeat(currency.exponent() - fraction.length());
    long minor = Math.addExact(Math.multiplyExact(Long.parseLong(whole), pow10(currency.exponent())),
        fraction.isEmpty() ? 0 : Long.parseLong(fraction));
    if (minor > MAX_MINOR) {
      throw new IllegalArgumentException("'" + text + "' is too large");
    }
    return minor;
  }

  private static long pow10(int exponent) {
    long value = 1;
    for (int i = 0; i < exponent; i++) {
      value *= 10;
    }
    return value;
  }
}
