package org.malipo.gateway.payment;

/** The Luhn (mod 10) check of ISO/IEC 7812-1 Annex B, used on every card number. */
final class Luhn {

  private Luhn() {}

  /** Whether {@code number} is 12-19 ASCII digits with a valid Luhn check digit. */
  static boolean isValidCardNumber(String number) {
    int length = number.length();
    if (length < 12 || length > 19) {
      return false;
    }
    int sum = 0;
    boolean doubleIt = false;
    for (int i = length - 1; i >= 0; i--) {
      char c = number.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
      int digit = c - '0';
      if (doubleIt) {
        digit *= 2;
        if (digit > 9) {
          digit -= 9;
        }
      }
      sum += digit;
      doubleIt = !doubleIt;
    }
    return sum % 10 == 0;
  }
}
