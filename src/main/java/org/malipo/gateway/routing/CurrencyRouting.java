package org.malipo.gateway.routing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.common.CurrencyUnit;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Per-currency tier lists ({@code malipo.routing.currency-priority.<CUR>}), which replace
 * {@code malipo.routing.priority} for payments in that currency when the merchant has no rule of
 * its own (docs/adr/0075-local-rails-by-currency.md). This is how a naira or cedi card goes to
 * Paystack first, Flutterwave second, and a global acquirer only after them.
 *
 * @param currencyPriority ISO 4217 code to a tier list (as {@link RoutingProperties#priority()});
 *     rails it does not name come after it, in configuration order; default none
 */
@ConfigurationProperties("malipo.routing")
public record CurrencyRouting(Map<String, List<List<String>>> currencyPriority) {

  /**
   * Replaces null by an empty map and checks the entries.
   *
   * @throws IllegalArgumentException naming the property at fault: an unknown currency or an
   *     empty tier
   */
  public CurrencyRouting {
    Map<String, List<List<String>>> checked = new LinkedHashMap<>();
    if (currencyPriority != null) {
      currencyPriority.forEach((code, tiers) -> {
        String property = "malipo.routing.currency-priority." + code;
        if (CurrencyUnit.fromCode(code).isEmpty()) {
          throw new IllegalArgumentException(property + ": not a supported currency");
        }
        if (tiers == null || tiers.isEmpty() || tiers.stream().anyMatch(tier -> tier == null || tier.isEmpty()
            || tier.stream().anyMatch(name -> name == null || name.isBlank()))) {
          throw new IllegalArgumentException(property + ": every tier needs one or more rail names: " + tiers);
        }
        checked.put(code, tiers.stream().map(tier -> tier.stream().map(String::strip).toList()).toList());
      });
    }
    currencyPriority = Map.copyOf(checked);
  }

  /** No per-currency lists. */
  static CurrencyRouting none() {
    return new CurrencyRouting(null);
  }

  /** The tier list of a currency, or null when it has none. */
  List<List<String>> tiers(CurrencyUnit currency) {
    return currencyPriority.get(currency.code());
  }
}
