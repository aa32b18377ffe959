package org.malipo.gateway.rail.card;

import com.fasterxml.jackson.annotation.JsonInclude;

import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.rail.RailRequest;

/**
 * The request mapper: our {@link RailRequest} in the acquirer's JSON form (see
 * {@code docs/rails/sandbox-acquirer.md}), written snake_case.
 *
 * @param merchantReference our attempt id, which the acquirer echoes in its records
 * @param amount ISO 8583 field 4: the amount in minor units, as an integer
 * @param currency ISO 8583 field 49: the ISO 4217 numeric code, three digits ({@code "404"})
 * @param card the card to charge
 * @param capture {@code false} to authorize and hold only (completed or reversed later); absent
 *     (null, not written) for an authorization captured at once
 */
record AuthorizationRequestBody(String merchantReference, long amount, String currency, Card card,
    @JsonInclude(JsonInclude.Include.NON_NULL) Boolean capture) {

  static AuthorizationRequestBody from(RailRequest request) {
    CardData card = request.card();
    return new AuthorizationRequestBody(
        request.attemptId(),
        request.amount().amountMinor(),
        numericCurrency(request.amount().currency().numericCode()),
        new Card(card.number(), card.expMonth(), card.expYear(), card.cvc()),
        request.captureLater() ? Boolean.FALSE : null);
  }

  /** ISO 4217 numeric code, zero-padded to three digits as field 49 requires. */
  static String numericCurrency(int numericCode) {
    if (numericCode < 0 || numericCode > 999) {
      throw new IllegalArgumentException("ISO 4217 numeric code out of range: " + numericCode);
    }
    String digits = Integer.toString(numericCode);
    return "000".substring(digits.length()) + digits;
  }

  @Override
  public String toString() {
    return "AuthorizationRequestBody[merchantReference=" + merchantReference + ", amount=" + amount
        + ", currency=" + currency + ", card=" + card + (capture == null ? "" : ", capture=" + capture) + "]";
  }

  /**
   * The card block. Its {@link #toString()} shows BIN and last 4 only.
   *
   * @param number the PAN
   * @param expMonth 1-12
   * @param expYear four digits
   * @param cvc 3-4 digits
   */
  record Card(String number, int expMonth, int expYear, String cvc) {

    @Override
    public String toString() {
      return new CardData(number, expMonth, expYear, cvc).toString();
    }
  }
}
