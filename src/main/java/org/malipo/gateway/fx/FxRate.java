package org.malipo.gateway.fx;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;
import org.malipo.gateway.common.CurrencyUnit;

/**
 * A published exchange rate: one unit of {@code base} is worth {@code rate} units of {@code quote}
 * (major units, e.g. EUR/XOF 655.957, the CFA franc's fixed parity), valid from {@code asOf}, as
 * {@code source} gave it. Exact decimal, never a float.
 *
 * @param rate positive, at most 12 decimals
 * @param source who published the rate (a bank, the sandbox file, an operator's upload), 1-100 characters
 */
public record FxRate(CurrencyUnit base, CurrencyUnit quote, BigDecimal rate, Instant asOf, String source) {

  /** Decimals a rate may carry (the database column's scale). */
  public static final int SCALE_MAX = 12;

  /** Validates the rate; {@link IllegalArgumentException} says what is wrong. */
  public FxRate {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(quote, "quote");
    Objects.requireNonNull(rate, "rate");
    Objects.requireNonNull(asOf, "asOf");
    if (base == quote) {
      throw new IllegalArgumentException("base and quote are the same currency");
    }
    if (rate.signum() <= 0) {
      throw new IllegalArgumentException("rate must be positive");
    }
    rate = rate.stripTrailingZeros();
    if (rate.scale() > SCALE_MAX || rate.precision() - rate.scale() > 18) {
      throw new IllegalArgumentException("rate must have at most 18 digits before and 12 after the point");
    }
    if (rate.scale() < 0) {
      rate = rate.setScale(0);
    }
    if (source == null || source.isBlank() || source.length() > 100) {
      throw new IllegalArgumentException("source must be 1-100 characters");
    }
  }

  /** Whether this rate converts {@code from} into {@code to}, in either direction. */
  public boolean converts(CurrencyUnit from, CurrencyUnit to) {
    return (base == from && quote == to) || (base == to && quote == from);
  }
}
