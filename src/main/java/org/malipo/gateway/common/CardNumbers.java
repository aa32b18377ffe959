package org.malipo.gateway.common;

/**
 * Card numbers (PANs) where none belongs: the Luhn check of ISO/IEC 7812-1 Annex B and a scan of
 * free text (a payment's {@code metadata}, {@code description} and {@code reference}, a refund's
 * {@code reason}) for a number that would put card data in the database, the events and the
 * webhooks (INVARIANTS.md 14; PCI DSS v4 req. 3.3-3.5).
 *
 * <p>A card number in text is 13-19 digits (ISO/IEC 7812 lengths in use; 12 is too short to tell
 * from order numbers) that pass the Luhn check, written as one run ({@code 4242424242424242}) or
 * in groups joined by spaces or dashes ({@code 4242 4242 4242 4242}, {@code 4242-4242-4242-4242};
 * any white space, no-break space or dash character). A window of whole groups counts
 * ({@code "qty 3 4242 4242 4242 4242"}); part of a longer unbroken digit run does not, so a
 * 20-digit id is not a card. Pure CPU, linear in the text's length (at most 19 groups tried from
 * each group).
 */
public final class CardNumbers {

  /** Fewest digits of a card number looked for in text. */
  public static final int TEXT_DIGITS_MIN = 13;

  /** Most digits of a card number (ISO/IEC 7812-1). */
  public static final int DIGITS_MAX = 19;

  private CardNumbers() {}

  /**
   * Whether {@code digits[from, to)} passes the Luhn (mod 10) check.
   *
   * @param digits ASCII digits only; anything else is not checked here
   */
  public static boolean passesLuhn(CharSequence digits, int from, int to) {
    int sum = 0;
    boolean doubleIt = false;
    for (int i = to - 1; i >= from; i--) {
      int digit = digits.charAt(i) - '0';
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

  /**
   * Whether {@code text} holds a card number, plain or grouped by spaces or dashes (see the class
   * comment).
   *
   * @param text any text, may be null
   */
  public static boolean containsCardNumber(String text) {
    if (text == null || text.length() < TEXT_DIGITS_MIN) {
      return false;
    }
    int length = text.length();
    // Digits of the current run without its separators, and where each of its groups starts;
    // made on the first digit, so text without digits costs one pass and no allocation.
    StringBuilder digits = null;
    int[] groupStarts = null;
    int i = 0;
    while (i < length) {
      if (!isDigit(text.charAt(i))) {
        i++;
        continue;
      }
      if (digits == null) {
        digits = new StringBuilder(Math.min(length, 64));
        groupStarts = new int[length / 2 + 2]; // a group takes a digit and a separator at least
      }
      digits.setLength(0);
      int groups = 0;
      while (true) {
        groupStarts[groups++] = digits.length();
        while (i < length && isDigit(text.charAt(i))) {
          digits.append(text.charAt(i++));
        }
        // Spaces or dashes followed by a digit continue the run with a new group.
        int next = i;
        while (next < length && isSeparator(text.charAt(next))) {
          next++;
        }
        if (next == i || next == length || !isDigit(text.charAt(next))) {
          break;
        }
        i = next;
      }
      groupStarts[groups] = digits.length();
      if (anyWindowIsACardNumber(digits, groupStarts, groups)) {
        return true;
      }
    }
    return false;
  }

  /** Whether some whole groups {@code a..b} of a run hold 13-19 digits that pass the Luhn check. */
  private static boolean anyWindowIsACardNumber(CharSequence digits, int[] groupStarts, int groups) {
    for (int a = 0; a < groups; a++) {
      for (int b = a; b < groups; b++) {
        int count = groupStarts[b + 1] - groupStarts[a];
        if (count > DIGITS_MAX) {
          break;
        }
        if (count >= TEXT_DIGITS_MIN && passesLuhn(digits, groupStarts[a], groupStarts[b + 1])) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isSeparator(char c) {
    return c == ' ' || c == '-' || Character.isSpaceChar(c) || Character.getType(c) == Character.DASH_PUNCTUATION;
  }
}
