package org.malipo.gateway.fx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;

/**
 * Conversion of minor units at a published rate: exact half-even rounding with the currencies'
 * exponents, the rounding remainder kept (covered + rounding = amount), over random amounts and
 * rates; the rate file's parser.
 */
class FxConversionUnitTests {

  private static final FxRate EUR_XOF = new FxRate(CurrencyUnit.EUR, CurrencyUnit.XOF, new BigDecimal("655.957"),
      Instant.parse("1999-01-01T00:00:00Z"), "BCEAO fixed parity");

  @Test
  void convertsXofToEurAtTheParityHalfEvenAndKeepsTheRemainder() {
    // 10,000 XOF / 655.957 = 15.2449... EUR = 1,524.49 cents -> 1,524; worth 9,996.78 -> 9,997 XOF.
    FxConversion.Converted c = FxConversion.convert(10_000, CurrencyUnit.XOF, CurrencyUnit.EUR, EUR_XOF);
    assertThat(c.convertedMinor()).isEqualTo(1_524);
    assertThat(c.coveredMinor()).isEqualTo(9_997);
    assertThat(c.roundingMinor()).isEqualTo(3);
    // 10,002 XOF = 1,524.80 cents -> 1,525, worth 10,003.34 -> 10,003: the gateway gives 1 XOF.
    FxConversion.Converted up = FxConversion.convert(10_002, CurrencyUnit.XOF, CurrencyUnit.EUR, EUR_XOF);
    assertThat(up.convertedMinor()).isEqualTo(1_525);
    assertThat(up.roundingMinor()).isEqualTo(-1);
  }

  @Test
  void convertsEurToXofWithTheSameRateTheOtherWay() {
    // 15.24 EUR x 655.957 = 9,996.78 XOF -> 9,997; worth 1,524.03 cents -> 1,524: no remainder.
    FxConversion.Converted c = FxConversion.convert(1_524, CurrencyUnit.EUR, CurrencyUnit.XOF, EUR_XOF);
    assertThat(c.convertedMinor()).isEqualTo(9_997);
    assertThat(c.coveredMinor()).isEqualTo(1_524);
    assertThat(c.roundingMinor()).isZero();
  }

  @Test
  void roundsTiesToEven() {
    // 1 KES = 0.005 USD: 100 KES cents = 0.5 USD cent -> 0; 300 = 1.5 -> 2; 500 = 2.5 -> 2.
    FxRate rate = new FxRate(CurrencyUnit.KES, CurrencyUnit.USD, new BigDecimal("0.005"), Instant.EPOCH, "test");
    assertThat(FxConversion.convert(100, CurrencyUnit.KES, CurrencyUnit.USD, rate).convertedMinor()).isZero();
    assertThat(FxConversion.convert(300, CurrencyUnit.KES, CurrencyUnit.USD, rate).convertedMinor()).isEqualTo(2);
    assertThat(FxConversion.convert(500, CurrencyUnit.KES, CurrencyUnit.USD, rate).convertedMinor()).isEqualTo(2);
    // Nothing converted: the whole amount is the remainder, still on an account.
    FxConversion.Converted nothing = FxConversion.convert(100, CurrencyUnit.KES, CurrencyUnit.USD, rate);
    assertThat(nothing.coveredMinor()).isZero();
    assertThat(nothing.roundingMinor()).isEqualTo(100);
  }

  @Test
  void refusesARateOfAnotherPairAndNonPositiveAmounts() {
    assertThatThrownBy(() -> FxConversion.convert(100, CurrencyUnit.XOF, CurrencyUnit.USD, EUR_XOF))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FxConversion.convert(0, CurrencyUnit.XOF, CurrencyUnit.EUR, EUR_XOF))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FxConversion.convert(Long.MAX_VALUE, CurrencyUnit.EUR, CurrencyUnit.XOF, EUR_XOF))
        .isInstanceOf(ArithmeticException.class);
  }

  /** Per currency the postings balance and nothing is lost; each rounding is within half a minor unit. */
  @Property(tries = 2_000)
  void conversionLosesNothingAndRoundsWithinHalfAMinorUnit(@ForAll @LongRange(min = 1, max = 10_000_000_000L) long amount,
      @ForAll("rates") FxRate rate, @ForAll boolean direct) {
    CurrencyUnit from = direct ? rate.base() : rate.quote();
    CurrencyUnit to = direct ? rate.quote() : rate.base();
    FxConversion.Converted c = FxConversion.convert(amount, from, to, rate);
    // The charge currency's legs: pending debit = fx position credit + rounding (signed).
    assertThat(c.coveredMinor() + c.roundingMinor()).isEqualTo(amount);
    assertThat(c.convertedMinor()).isNotNegative();
    assertThat(c.coveredMinor()).isNotNegative();
    assertRoundedWithinHalfAMinorUnit(amount, rate, from, to, c);
  }

  /** A tie of an inverse rate, exact: 3 KES minor units at 1 UGX = 0.000096 KES (a shrunk sample that once failed). */
  @Test
  void anInverseRateTieIsWithinHalfAMinorUnit() {
    FxRate ugxKes = new FxRate(CurrencyUnit.UGX, CurrencyUnit.KES, new BigDecimal("0.000096"), Instant.EPOCH, "random");
    FxConversion.Converted c = FxConversion.convert(3, CurrencyUnit.KES, CurrencyUnit.UGX, ugxKes);
    assertThat(c.coveredMinor() + c.roundingMinor()).isEqualTo(3);
    assertRoundedWithinHalfAMinorUnit(3, ugxKes, CurrencyUnit.KES, CurrencyUnit.UGX, c);
  }

  /**
   * {@code k = num / den} minor units of {@code to} per minor unit of {@code from}, both exact, so
   * the checks multiply instead of dividing (a divided inverse rate is inexact and can tip a tie):
   * |converted - amount x k| <= 1/2 minor unit of {@code to}, and |covered - converted / k| <= 1/2
   * minor unit of {@code from} (the remainder is only rounding).
   */
  private static void assertRoundedWithinHalfAMinorUnit(long amount, FxRate rate, CurrencyUnit from, CurrencyUnit to,
      FxConversion.Converted c) {
    BigDecimal toScale = BigDecimal.TEN.pow(to.exponent());
    BigDecimal fromScale = BigDecimal.TEN.pow(from.exponent());
    boolean direct = rate.base() == from;
    BigDecimal num = direct ? rate.rate().multiply(toScale) : toScale;
    BigDecimal den = direct ? fromScale : rate.rate().multiply(fromScale);
    BigDecimal converted = BigDecimal.valueOf(c.convertedMinor());
    BigDecimal two = BigDecimal.valueOf(2);
    assertThat(BigDecimal.valueOf(amount).multiply(num).subtract(converted.multiply(den)).abs().multiply(two))
        .as("|converted - amount x k| <= 1/2").isLessThanOrEqualTo(den);
    assertThat(converted.multiply(den).subtract(BigDecimal.valueOf(c.coveredMinor()).multiply(num)).abs().multiply(two))
        .as("|covered - converted / k| <= 1/2").isLessThanOrEqualTo(num);
  }

  @Provide
  Arbitrary<FxRate> rates() {
    Arbitrary<CurrencyUnit> currencies = Arbitraries.of(CurrencyUnit.class);
    Arbitrary<BigDecimal> values = Arbitraries.bigDecimals().between(new BigDecimal("0.000001"), new BigDecimal("100000"))
        .ofScale(6);
    return Combinators.combine(currencies, currencies, values)
        .filter((base, quote, value) -> base != quote)
        .as((base, quote, value) -> new FxRate(base, quote, value, Instant.EPOCH, "random"));
  }


  @Test
  void parsesTheSandboxRateFileAndNamesTheFirstBadLine() throws Exception {
    try (var in = getClass().getResourceAsStream("/fx/sandbox-rates.csv")) {
      List<FxRate> rates = FxRateFile.parse(new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8));
      assertThat(rates).anySatisfy(r -> {
        assertThat(r.base()).isEqualTo(CurrencyUnit.EUR);
        assertThat(r.quote()).isEqualTo(CurrencyUnit.XOF);
        assertThat(r.rate()).isEqualByComparingTo("655.957");
      });
    }
    String header = "base,quote,rate,as_of,source\n";
    assertThatThrownBy(() -> FxRateFile.parse(new StringReader("base,quote,rate\nEUR,XOF,1\n")))
        .hasMessageContaining("line 1");
    assertThatThrownBy(() -> FxRateFile.parse(new StringReader(header + "EUR,XOF,655.957,1999-01-01T00:00:00Z,x\n"
        + "EUR,EURO,1,1999-01-01T00:00:00Z,x\n"))).hasMessageContaining("line 3").hasMessageContaining("EURO");
    assertThatThrownBy(() -> FxRateFile.parse(new StringReader(header + "EUR,XOF,6.5e2,1999-01-01T00:00:00Z,x\n")))
        .hasMessageContaining("line 2");
    assertThatThrownBy(() -> FxRateFile.parse(new StringReader(header + "EUR,XOF,-1,1999-01-01T00:00:00Z,x\n")))
        .hasMessageContaining("line 2");
    assertThatThrownBy(() -> FxRateFile.parse(new StringReader(header + "EUR,XOF,655.957,yesterday,x\n")))
        .hasMessageContaining("line 2").hasMessageContaining("as_of");
    assertThatThrownBy(() -> FxRateFile.parse(new StringReader(header))).hasMessageContaining("no rate");
  }
}
