package org.malipo.gateway.payment;

/** Card brand from the leading digits of a PAN (the schemes' published IIN ranges). */
final class CardBrands {

  private CardBrands() {}

  /** {@code visa}, {@code mastercard}, {@code amex}, {@code verve} or {@code unknown}. */
  static String of(String number) {
    if (number.startsWith("4")) {
      return "visa";
    }
    int two = Integer.parseInt(number.substring(0, 2));
    int four = Integer.parseInt(number.substring(0, 4));
    if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) {
      return "mastercard";
    }
    if (two == 34 || two == 37) {
      return "amex";
    }
    int six = Integer.parseInt(number.substring(0, 6));
    if ((six >= 506099 && six <= 506198) || (six >= 650002 && six <= 650027)) {
      return "verve";
    }
    return "unknown";
  }
}
