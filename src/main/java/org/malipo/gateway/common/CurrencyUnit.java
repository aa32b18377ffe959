package org.malipo.gateway.common;

import java.util.Optional;

/**
 * The ISO 4217 currencies Malipo accepts, with their numeric code and minor-unit exponent.
 *
 * <p>Source: ISO 4217 "list one" (minor units) and Debian {@code iso-codes} (numeric codes), as
 * summarised in {@code shared/reference/rails.md} §8. The exponent says how many minor units make
 * one major unit: KES 2 (100 cents), UGX 0.
 */
public enum CurrencyUnit {
  KES(404, 2),
  UGX(800, 0),
  TZS(834, 2),
  RWF(646, 0),
  GHS(936, 2),
  NGN(566, 2),
  ZAR(710, 2),
  ZMW(967, 2),
  XOF(952, 0),
  XAF(950, 0),
  MWK(454, 2),
  USD(840, 2),
  EUR(978, 2);

  private final int numericCode;
  private final int exponent;

  CurrencyUnit(int numericCode, int exponent) {
    this.numericCode = numericCode;
    this.exponent = exponent;
  }

  /** ISO 4217 numeric code, as an acquirer puts it in ISO 8583 field 49. */
  public int numericCode() {
    return numericCode;
  }

  /** Number of decimal places of the minor unit (0 for UGX, 2 for KES). */
  public int exponent() {
    return exponent;
  }

  /** Alphabetic ISO 4217 code, e.g. {@code "KES"}. */
  public String code() {
    return name();
  }

  /**
   * Looks a currency up by its exact upper-case alphabetic code.
   *
   * @param code ISO 4217 alphabetic code; {@code null} or an unknown code gives empty
   * @return the currency, or empty when Malipo does not support it
   */
  public static Optional<CurrencyUnit> fromCode(String code) {
    if (code == null || code.length() != 3) {
      return Optional.empty();
    }
    for (CurrencyUnit unit : values()) {
      if (unit.name().equals(code)) {
        return Optional.of(unit);
      }
    }
    return Optional.empty();
  }
}
