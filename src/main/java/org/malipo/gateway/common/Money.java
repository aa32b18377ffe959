package org.malipo.gateway.common;

import java.util.Objects;

/**
 * An amount of money: a positive {@code long} count of minor units of one currency.
 *
 * <p>Never a floating-point number; arithmetic is exact and fails on overflow. Major-unit forms
 * ("100.00", whole shillings) exist only inside a rail's mapper.
 *
 * @param amountMinor amount in minor units of {@code currency}, zero or more
 * @param currency the ISO 4217 currency
 */
public record Money(long amountMinor, CurrencyUnit currency) {

  /**
   * @throws IllegalArgumentException if {@code amountMinor} is negative
   * @throws NullPointerException if {@code currency} is null
   */
  public Money {
    Objects.requireNonNull(currency, "currency");
    if (amountMinor < 0) {
      throw new IllegalArgumentException("money amount must not be negative: " + amountMinor);
    }
  }

  /**
   * Adds another amount of the same currency.
   *
   * @throws IllegalArgumentException on mixed currencies
   * @throws ArithmeticException on overflow
   */
  public Money plus(Money other) {
    requireSameCurrency(other);
    return new Money(Math.addExact(amountMinor, other.amountMinor), currency);
  }

  /**
   * Subtracts another amount of the same currency.
   *
   * @throws IllegalArgumentException on mixed currencies or a negative result
   */
  public Money minus(Money other) {
    requireSameCurrency(other);
    return new Money(Math.subtractExact(amountMinor, other.amountMinor), currency);
  }

  /**
   * A share of this amount in basis points (1 bp = 0.01 %), rounded half-up to the minor unit.
   *
   * @param basisPoints 0 to 10,000
   * @throws ArithmeticException on overflow
   */
  public Money basisPoints(int basisPoints) {
    if (basisPoints < 0 || basisPoints > 10_000) {
      throw new IllegalArgumentException("basis points must be 0..10000: " + basisPoints);
    }
    // Half-up on a non-negative product: add half the divisor before the integer division.
    long scaled = Math.multiplyExact(amountMinor, (long) basisPoints);
    return new Money(Math.addExact(scaled, 5_000L) / 10_000L, currency);
  }

  private void requireSameCurrency(Money other) {
    if (other.currency != currency) {
      throw new IllegalArgumentException("mixed currencies: " + currency + " and " + other.currency);
    }
  }

  @Override
  public String toString() {
    return amountMinor + " " + currency + " (minor units)";
  }
}
