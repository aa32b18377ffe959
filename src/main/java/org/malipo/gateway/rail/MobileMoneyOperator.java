package org.malipo.gateway.rail;

import java.util.Locale;
import java.util.Optional;

/** Mobile-money operators the gateway can collect from; the JSON form is the lower-case name. */
public enum MobileMoneyOperator {
  /** Safaricom M-Pesa Daraja (Kenya), STK push. */
  MPESA,
  /** MTN MoMo Open API, Collections request-to-pay. */
  MTN_MOMO,
  /** Airtel Money Africa, collections by USSD push (rails.md §3). */
  AIRTEL,
  /** Orange Money, merchant payment (francophone West and Central Africa). */
  ORANGE,
  /** Telecel Cash (ex-Vodafone Cash, Ghana), collected through Paystack. */
  TELECEL,
  /** AirtelTigo Money (Ghana), collected through Paystack. */
  AIRTELTIGO;

  /** The JSON form, e.g. {@code "mtn_momo"}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The operator with this JSON form, or empty. */
  public static Optional<MobileMoneyOperator> fromWire(String wireName) {
    for (MobileMoneyOperator operator : values()) {
      if (operator.wireName().equals(wireName)) {
        return Optional.of(operator);
      }
    }
    return Optional.empty();
  }
}
