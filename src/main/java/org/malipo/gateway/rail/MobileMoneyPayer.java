package org.malipo.gateway.rail;

import java.util.Objects;

/**
 * The wallet to collect from in one mobile-money request.
 *
 * @param operator the operator whose rail serves the wallet
 * @param msisdn E.164 with the {@code +}, e.g. {@code +254708374149}; validated and normalised by
 *     the payment module (libphonenumber)
 */
public record MobileMoneyPayer(MobileMoneyOperator operator, String msisdn) implements PaymentInstrument {

  /**
   * @throws NullPointerException if a component is null
   * @throws IllegalArgumentException if {@code msisdn} does not start with {@code +}
   */
  public MobileMoneyPayer {
    Objects.requireNonNull(operator, "operator");
    Objects.requireNonNull(msisdn, "msisdn");
    if (!msisdn.startsWith("+")) {
      throw new IllegalArgumentException("msisdn must be E.164 with '+'");
    }
  }

  /** The international form without {@code +} that Daraja and MoMo want, e.g. {@code 254708374149}. */
  public String digits() {
    return msisdn.substring(1);
  }
}
