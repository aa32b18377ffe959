package org.malipo.gateway.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MoneyUnitTests {

  @Test
  void roundsBasisPointsHalfUpToTheMinorUnit() {
    // 1,550 × 2.90 % = 44.95 → 45; 1,500 × 2.90 % = 43.5 → 44; 100 × 2.90 % = 2.9 → 3
    assertThat(new Money(1_550, CurrencyUnit.KES).basisPoints(290).amountMinor()).isEqualTo(45);
    assertThat(new Money(1_500, CurrencyUnit.KES).basisPoints(290).amountMinor()).isEqualTo(44);
    assertThat(new Money(100, CurrencyUnit.KES).basisPoints(290).amountMinor()).isEqualTo(3);
    assertThat(new Money(1, CurrencyUnit.UGX).basisPoints(290).amountMinor()).isZero();
  }

  @Test
  void refusesMixedCurrencies() {
    assertThatThrownBy(() -> new Money(1, CurrencyUnit.KES).plus(new Money(1, CurrencyUnit.UGX)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesNegativeAmountsAndOverflow() {
    assertThatThrownBy(() -> new Money(-1, CurrencyUnit.KES)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Money(1, CurrencyUnit.KES).minus(new Money(2, CurrencyUnit.KES)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Money(Long.MAX_VALUE, CurrencyUnit.KES).plus(new Money(1, CurrencyUnit.KES)))
        .isInstanceOf(ArithmeticException.class);
    assertThatThrownBy(() -> new Money(Long.MAX_VALUE, CurrencyUnit.KES).basisPoints(290))
        .isInstanceOf(ArithmeticException.class);
  }

  @Test
  void knowsIso4217ExponentsAndNumericCodes() {
    assertThat(CurrencyUnit.KES.exponent()).isEqualTo(2);
    assertThat(CurrencyUnit.UGX.exponent()).isZero();
    assertThat(CurrencyUnit.XOF.exponent()).isZero();
    assertThat(CurrencyUnit.KES.numericCode()).isEqualTo(404);
    assertThat(CurrencyUnit.fromCode("kes")).isEmpty();
    assertThat(CurrencyUnit.fromCode("JPY")).isEmpty();
  }

  @Test
  void makesPrefixedVersion7Ids() {
    String first = Ids.next("pay");
    assertThat(Ids.looksLike("pay", first)).isTrue();
    assertThat(Ids.looksLike("ref", first)).isFalse();
    assertThat(first.charAt(16)).isEqualTo('7'); // UUID version nibble
    assertThat(Ids.looksLike("pay", "pay_../../etc")).isFalse();
  }
}
