package org.malipo.gateway.rail;

/**
 * Full card data for one authorization, held only in memory between validation and the rail call.
 *
 * <p>Never stored, logged or serialised by the gateway (INVARIANTS.md 14): {@link #toString()}
 * shows only BIN and last 4.
 *
 * @param number the PAN, digits only, Luhn-valid
 * @param expMonth expiry month 1-12
 * @param expYear expiry year, four digits
 * @param cvc 3-4 digits
 */
public record CardData(String number, int expMonth, int expYear, String cvc) implements PaymentInstrument {

  /** First six digits of the PAN. */
  public String bin() {
    return number.substring(0, 6);
  }

  /** Last four digits of the PAN. */
  public String last4() {
    return number.substring(number.length() - 4);
  }

  @Override
  public String toString() {
    return "CardData[" + bin() + "…" + last4() + "]";
  }
}
