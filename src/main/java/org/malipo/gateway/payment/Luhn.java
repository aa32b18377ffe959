package org.malipo.gateway.payment;

import org.malipo.gateway.common.CardNumbers;

/** The Luhn (mod 10) check of ISO/IEC 7812-1 Annex B, used on every card number. */
final class Luhn {

  private Luhn() {}

  /** Whether {@code number} is 12-19 ASCII digits with a valid Luhn check digit. */
  static boolean isValidCardNumber(String number) {
    int length = number.length();
    if (length < 12 || length > CardNumbers.DIGITS_MAX) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      char c = number.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return CardNumbers.passesLuhn(number, 0, length);
  }
}
