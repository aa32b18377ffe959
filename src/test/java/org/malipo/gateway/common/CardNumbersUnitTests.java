package org.malipo.gateway.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CardNumbersUnitTests {

  @ParameterizedTest
  @ValueSource(strings = {
      "4242424242424242",
      "4242 4242 4242 4242",
      "4242-4242-4242-4242",
      "4242 4242-4242 4242",
      "4242  4242 - 4242  4242",
      "4242\u00a04242\u00a04242\u00a04242", // no-break spaces, as pasted from a web page
      "4242\u20134242\u20134242\u20134242", // en dashes
      "3782 822463 10005", // Amex grouping, 15 digits
      "4222222222222", // 13 digits
      "4000000000000000006", // 19 digits
      "paid with card 4000 0000 0000 0002, thanks",
      "qty 3 4242 4242 4242 4242", // a number written just before the card
      "4242 4242 4242 4242 exp 12/30 cvc 123",
      "ref:5555555555554444."})
  void findsACardNumberWrittenInText(String text) {
    assertThat(CardNumbers.containsCardNumber(text)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "4242424242424241", // Luhn check fails
      "424242424242", // 12 digits
      "42424242424242424242", // 20 digits in one run: an id, not a card
      "4242.4242.4242.4242",
      "+254 712 345 678",
      "2026-11-21 order 1042",
      "invoice 4242424242424241-7"})
  void leavesNumbersThatAreNotCardNumbers(String text) {
    assertThat(CardNumbers.containsCardNumber(text)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"79927398713", "4242424242424242", "0"})
  void passesLuhnOnValidCheckDigits(String digits) {
    assertThat(CardNumbers.passesLuhn(digits, 0, digits.length())).isTrue();
    String wrong = digits.substring(0, digits.length() - 1) + (char) ('0' + (digits.charAt(digits.length() - 1) - '0' + 1) % 10);
    assertThat(CardNumbers.passesLuhn(wrong, 0, wrong.length())).isFalse();
  }
}
