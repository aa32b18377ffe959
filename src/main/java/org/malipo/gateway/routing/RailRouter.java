package org.malipo.gateway.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.PaymentInstrument;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailRegistry;
import org.malipo.gateway.rail.ResilientRail;

/**
 * Chooses and ranks the candidate rails of a payment (docs/adr/0040-health-aware-ranking.md):
 * the rails that serve its method, operator and currency, restricted and ordered by the
 * merchant's rule or else the configured priority tiers, within a tier by this instance's
 * sliding-window health score, with rails that would refuse a call now ranked last and a small
 * exploration share. The pipeline tries them in order and fails over only when a rail surely did
 * not charge.
 *
 * <p>The rails it returns report each authorization's outcome to the health windows. Pure CPU:
 * no I/O, no lock; safe on event loops.
 */
public final class RailRouter {

  private final RailRegistry rails;
  private final RoutingProperties properties;
  private final RailHealth health;
  private final RandomGenerator random;
  private final CurrencyRouting currencyRouting;
  private RailModes modes = RailModes.ALL_TEST;

  /**
   * @param random source of the exploration draws; must be safe to share between threads
   */
  RailRouter(RailRegistry rails, RoutingProperties properties, RailHealth health, RandomGenerator random) {
    this(rails, properties, CurrencyRouting.none(), health, random);
  }

  /**
   * @param currencyRouting per-currency tier lists, used instead of the priority when the merchant
   *     has no rule
   * @param random source of the exploration draws; must be safe to share between threads
   */
  RailRouter(RailRegistry rails, RoutingProperties properties, CurrencyRouting currencyRouting, RailHealth health,
      RandomGenerator random) {
    this.currencyRouting = Objects.requireNonNull(currencyRouting, "currencyRouting");
    this.rails = Objects.requireNonNull(rails, "rails");
    this.properties = Objects.requireNonNull(properties, "properties");
    this.health = Objects.requireNonNull(health, "health");
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * Candidate rails, best first, for a merchant without a rule of its own.
   *
   * @return possibly empty when no rail serves this method and currency
   */
  public List<RailAdapter> candidates(PaymentMethodType method, CurrencyUnit currency) {
    return candidates(null, method, null, currency);
  }

  /**
   * Candidate rails, best first, for a merchant without a rule of its own.
   *
   * @param operator the operator, or null for methods without one (cards)
   * @return possibly empty when no rail serves this method, operator and currency
   */
  public List<RailAdapter> candidates(PaymentMethodType method, MobileMoneyOperator operator, CurrencyUnit currency) {
    return candidates(null, method, operator, currency);
  }

  /**
   * Candidate rails for one merchant's payment, best first. Only that operator's rails can reach
   * its wallets (an M-Pesa payment never goes to MoMo).
   *
   * @param merchantId the paying merchant, whose rule (if any) restricts and orders the rails;
   *     null for none
   * @param operator the operator, or null for methods without one (cards)
   * @return possibly empty when no rail serves this method, operator and currency, or the
   *     merchant's rule allows none of those that do
   */
  public List<RailAdapter> candidates(String merchantId, PaymentMethodType method, MobileMoneyOperator operator,
      CurrencyUnit currency) {
    return candidates(merchantId, method, operator, currency, null);
  }

  /**
   * Candidate rails for one merchant's payment, best first, among the rails that also serve this
   * instrument ({@link RailAdapter#serves}: an aggregator serving an operator in some of its
   * countries only). Without a merchant rule, the currency's own tier list
   * ({@code malipo.routing.currency-priority}) comes before the general priority.
   *
   * @param instrument the card or wallet, or null to skip the per-instrument check
   * @return possibly empty, as {@link #candidates(String, PaymentMethodType, MobileMoneyOperator, CurrencyUnit)}
   */
  public List<RailAdapter> candidates(String merchantId, PaymentMethodType method, MobileMoneyOperator operator,
      CurrencyUnit currency, PaymentInstrument instrument) {
    List<List<String>> rule = merchantId == null ? null : properties.merchantRules().get(merchantId);
    List<List<String>> byCurrency = currencyRouting.tiers(currency);
    List<List<String>> tiers = rule != null ? rule : byCurrency != null ? byCurrency : properties.priority();
    List<RailRanking.Candidate<RailAdapter>> candidates = new ArrayList<>();
    List<RailAdapter> all = rails.all();
    for (int order = 0; order < all.size(); order++) {
      RailAdapter rail = all.get(order);
      if (!rail.methodTypes().contains(method) || !rail.currencies().contains(currency)
          || (operator != null && !rail.operators().contains(operator))
          || (instrument != null && !rail.serves(instrument, currency))) {
        continue;
      }
      int tier = tierOf(tiers, rail.name());
      if (tier < 0 && rule != null) {
        continue; // the merchant's rule names only the rails it allows
      }
      candidates.add(new RailRanking.Candidate<>(rail, tier < 0 ? tiers.size() : tier, order,
          health.score(rail.name()), rail instanceof ResilientRail resilient && resilient.refusesCalls()));
    }
    return RailRanking.rank(candidates, properties.explorationPercent(), random).stream()
        .<RailAdapter>map(rail -> new ObservedRail(rail, health))
        .toList();
  }

  /**
   * Candidate rails of one mode only (docs/adr/0078-test-and-live-mode.md): a test payment never
   * reaches a live rail, a live payment never a sandbox.
   *
   * @param livemode the payment's mode
   * @return possibly empty, as {@link #candidates(String, PaymentMethodType, MobileMoneyOperator, CurrencyUnit, PaymentInstrument)}
   */
  public List<RailAdapter> candidates(String merchantId, PaymentMethodType method, MobileMoneyOperator operator,
      CurrencyUnit currency, PaymentInstrument instrument, boolean livemode) {
    return candidates(merchantId, method, operator, currency, instrument).stream()
        .filter(rail -> modes.isLive(rail.name()) == livemode)
        .toList();
  }

  /** Sets which rails are live (configuration; default: every rail a test rail). */
  RailRouter withModes(RailModes railModes) {
    this.modes = Objects.requireNonNull(railModes, "railModes");
    return this;
  }

  /** This instance's health windows (metrics, tests). */
  RailHealth health() {
    return health;
  }

  private static int tierOf(List<List<String>> tiers, String railName) {
    for (int i = 0; i < tiers.size(); i++) {
      if (tiers.get(i).contains(railName)) {
        return i;
      }
    }
    return -1;
  }
}
