package org.malipo.gateway.rail;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The configured money-out rails ({@link PayoutRail}), by operator and by name. */
public final class PayoutRails {

  private final Map<MobileMoneyOperator, PayoutRail> byOperator;
  private final Map<String, PayoutRail> byName;

  /**
   * @param rails one per operator at most
   * @throws IllegalStateException on two rails of one operator
   */
  public PayoutRails(List<PayoutRail> rails) {
    this.byOperator = rails.stream().collect(Collectors.toUnmodifiableMap(PayoutRail::operator, Function.identity()));
    this.byName = rails.stream().collect(Collectors.toUnmodifiableMap(PayoutRail::name, Function.identity()));
  }

  /** The rail paying this operator's wallets, if configured. */
  public Optional<PayoutRail> forOperator(MobileMoneyOperator operator) {
    return Optional.ofNullable(byOperator.get(operator));
  }

  /** The rail with this name ({@code mpesa}, {@code mtn_momo}), if configured. */
  public Optional<PayoutRail> byName(String name) {
    return Optional.ofNullable(byName.get(name));
  }
}
