package org.malipo.gateway.fx;

import java.math.BigDecimal;
import java.math.RoundingMode;
import org.malipo.gateway.common.CurrencyUnit;

/**
 * Converts an amount in minor units of one currency into another at a published rate (pure, no
 * I/O; docs/adr/0084-settlement-currency-fx.md).
 *
 * <p>With {@code N} minor units of {@code from} and the exact value {@code N × k} in minor units of
 * {@code to} ({@code k} from the rate and both currencies' ISO 4217 exponents):
 * <ul>
 *   <li>{@code convertedMinor = round(N × k)}, half-even to the minor unit of {@code to};</li>
 *   <li>{@code coveredMinor = round(convertedMinor / k)}, half-even: what the converted amount is
 *       worth in {@code from};</li>
 *   <li>{@code roundingMinor = N − coveredMinor} (signed): the rounding remainder, in {@code from},
 *       posted to the rounding account so that nothing vanishes.</li>
 * </ul>
 * So {@code coveredMinor + roundingMinor = N} exactly, and each currency's postings balance.
 */
public final class FxConversion {

  private FxConversion() {}

  /**
   * One conversion.
   *
   * @param amountMinor the amount converted, minor units of {@code from}, positive
   * @param convertedMinor what it became, minor units of {@code to}, ≥ 0
   * @param coveredMinor the part of {@code amountMinor} the converted amount is worth, ≥ 0
   * @param roundingMinor {@code amountMinor − coveredMinor}, signed (a gain of the gateway when positive)
   */
  public record Converted(CurrencyUnit from, CurrencyUnit to, long amountMinor, long convertedMinor, long coveredMinor,
      long roundingMinor, FxRate rate) {}

  /**
   * Converts {@code amountMinor} of {@code from} into {@code to} at {@code rate}, which must quote
   * the pair in either direction.
   *
   * @return the conversion; {@link IllegalArgumentException} when the rate does not quote the pair or
   *     the amount is not positive, {@link ArithmeticException} when the result does not fit a long
   */
  public static Converted convert(long amountMinor, CurrencyUnit from, CurrencyUnit to, FxRate rate) {
    if (amountMinor <= 0) {
      throw new IllegalArgumentException("amount must be positive: " + amountMinor);
    }
    if (!rate.converts(from, to)) {
      throw new IllegalArgumentException("rate " + rate.base() + "/" + rate.quote() + " does not convert " + from + " to " + to);
    }
    // k = numerator / denominator, both exact: minor units of `to` per minor unit of `from`.
    BigDecimal toScale = BigDecimal.TEN.pow(to.exponent());
    BigDecimal fromScale = BigDecimal.TEN.pow(from.exponent());
    boolean direct = rate.base() == from;
    BigDecimal numerator = direct ? rate.rate().multiply(toScale) : toScale;
    BigDecimal denominator = direct ? fromScale : rate.rate().multiply(fromScale);
    long converted = BigDecimal.valueOf(amountMinor).multiply(numerator)
        .divide(denominator, 0, RoundingMode.HALF_EVEN).longValueExact();
    long covered = BigDecimal.valueOf(converted).multiply(denominator)
        .divide(numerator, 0, RoundingMode.HALF_EVEN).longValueExact();
    return new Converted(from, to, amountMinor, converted, covered, Math.subtractExact(amountMinor, covered), rate);
  }
}
