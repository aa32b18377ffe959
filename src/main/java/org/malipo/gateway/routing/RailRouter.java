package org.malipo.gateway.routing;

import java.util.Comparator;
import java.util.List;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailRegistry;
import org.springframework.stereotype.Component;

/**
 * Routing v0: the rails that serve a payment method and currency, ranked by configured priority.
 * The pipeline tries them in order and fails over only when a rail surely did not charge.
 */
@Component
public final class RailRouter {

  private final RailRegistry rails;
  private final RoutingProperties properties;

  RailRouter(RailRegistry rails, RoutingProperties properties) {
    this.rails = rails;
    this.properties = properties;
  }

  /**
   * Candidate rails, best first.
   *
   * @return possibly empty when no rail serves this method and currency
   */
  public List<RailAdapter> candidates(PaymentMethodType method, CurrencyUnit currency) {
    return candidates(method, null, currency);
  }

  /**
   * Candidate rails for a mobile-money operator, best first: only that operator's rails can reach
   * its wallets (an M-Pesa payment never goes to MoMo).
   *
   * @param operator the operator, or null for methods without one (cards)
   * @return possibly empty when no rail serves this method, operator and currency
   */
  public List<RailAdapter> candidates(PaymentMethodType method, MobileMoneyOperator operator, CurrencyUnit currency) {
    List<String> priority = properties.priority();
    return rails.all().stream()
        .filter(rail -> rail.methodType() == method && rail.currencies().contains(currency))
        .filter(rail -> operator == null || rail.operator().filter(operator::equals).isPresent())
        .sorted(Comparator.comparingInt(rail -> rank(priority, rail.name())))
        .toList();
  }

  private static int rank(List<String> priority, String name) {
    int index = priority.indexOf(name);
    return index < 0 ? Integer.MAX_VALUE : index;
  }
}
