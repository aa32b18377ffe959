package org.malipo.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.MobileMoneyPayer;
import org.malipo.gateway.rail.PaymentInstrument;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailLimits;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRegistry;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.ResilienceRegistries;
import org.malipo.gateway.rail.ResilientRail;
import org.malipo.gateway.routing.RailHealthUnitTests.SteppingClock;
import org.malipo.gateway.routing.RailRankingUnitTests.Draws;
import reactor.core.publisher.Mono;

/**
 * Routing by method, operator, currency and the payer's country (issue 22, ADR 0075): per-currency
 * tier lists, aggregators serving several methods and operators, and an open circuit sending the
 * payment to the second route.
 */
class CurrencyRoutingUnitTests {

  private static final RailLimits LIMITS =
      new RailLimits(Duration.ofSeconds(1), 10, 100, 50f, 80f, Duration.ofSeconds(2), 50, 20, Duration.ofSeconds(10), 5);

  private final ResilienceRegistries registries = ResilienceRegistries.create();
  private final Rail acquirer = new Rail("acquirer_a", Set.of(PaymentMethodType.CARD), Set.of(), Set.of(CurrencyUnit.values()), null);
  private final Rail airtel = new Rail("airtel", Set.of(PaymentMethodType.MOBILE_MONEY), Set.of(MobileMoneyOperator.AIRTEL),
      Set.of(CurrencyUnit.KES, CurrencyUnit.UGX), null);
  private final Rail paystack = new Rail("paystack", Set.of(PaymentMethodType.CARD, PaymentMethodType.MOBILE_MONEY),
      Set.of(MobileMoneyOperator.MTN_MOMO, MobileMoneyOperator.TELECEL), Set.of(CurrencyUnit.NGN, CurrencyUnit.GHS), "+233");
  private final Rail flutterwave = new Rail("flutterwave", Set.of(PaymentMethodType.CARD, PaymentMethodType.MOBILE_MONEY),
      Set.of(MobileMoneyOperator.AIRTEL, MobileMoneyOperator.ORANGE), Set.of(CurrencyUnit.NGN, CurrencyUnit.UGX), "+256");
  private final RailRegistry registry = new RailRegistry(List.of(ResilientRail.of(acquirer, LIMITS, registries),
      ResilientRail.of(airtel, LIMITS, registries), ResilientRail.of(paystack, LIMITS, registries),
      ResilientRail.of(flutterwave, LIMITS, registries)));
  private final CurrencyRouting currencyRouting = new CurrencyRouting(Map.of(
      "NGN", List.of(List.of("paystack"), List.of("flutterwave")),
      "UGX", List.of(List.of("airtel"), List.of("flutterwave"))));
  private final RoutingProperties properties = new RoutingProperties(List.of(List.of("acquirer_a")), null, null, 0);
  private final RailRouter router = new RailRouter(registry, properties, currencyRouting,
      new RailHealth(List.of("acquirer_a", "airtel", "paystack", "flutterwave"), new SteppingClock(), properties.health()),
      Draws.none());

  private static final CardData CARD = new CardData("4084084084084081", 12, 2030, "123");

  @Test
  void aNairaCardGoesToPaystackThenFlutterwaveThenTheAcquirer() {
    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.NGN, CARD)))
        .containsExactly("paystack", "flutterwave", "acquirer_a");
  }

  @Test
  void aShillingCardKeepsTheGeneralPriority() {
    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES, CARD)))
        .containsExactly("acquirer_a");
  }

  @Test
  void aWalletGoesToItsOperatorsRailFirstAndFlutterwaveOnlyWhereItServesThePayersCountry() {
    MobileMoneyPayer ugandan = new MobileMoneyPayer(MobileMoneyOperator.AIRTEL, "+256750000000");
    MobileMoneyPayer kenyan = new MobileMoneyPayer(MobileMoneyOperator.AIRTEL, "+254733000000");

    assertThat(names(router.candidates(null, PaymentMethodType.MOBILE_MONEY, MobileMoneyOperator.AIRTEL,
        CurrencyUnit.UGX, ugandan))).containsExactly("airtel", "flutterwave");
    assertThat(names(router.candidates(null, PaymentMethodType.MOBILE_MONEY, MobileMoneyOperator.AIRTEL,
        CurrencyUnit.KES, kenyan))).containsExactly("airtel");
  }

  @Test
  void anAggregatorServesOnlyTheOperatorsItNames() {
    MobileMoneyPayer telecel = new MobileMoneyPayer(MobileMoneyOperator.TELECEL, "+233200000000");
    assertThat(names(router.candidates(null, PaymentMethodType.MOBILE_MONEY, MobileMoneyOperator.TELECEL,
        CurrencyUnit.GHS, telecel))).containsExactly("paystack");
    assertThat(router.candidates(null, PaymentMethodType.MOBILE_MONEY, MobileMoneyOperator.MPESA, CurrencyUnit.KES,
        new MobileMoneyPayer(MobileMoneyOperator.MPESA, "+254708374149"))).isEmpty();
  }

  @Test
  void anOpenCircuitPutsTheSecondRouteFirst() {
    registries.circuitBreakers().circuitBreaker("airtel").transitionToOpenState();
    MobileMoneyPayer ugandan = new MobileMoneyPayer(MobileMoneyOperator.AIRTEL, "+256750000000");

    assertThat(names(router.candidates(null, PaymentMethodType.MOBILE_MONEY, MobileMoneyOperator.AIRTEL,
        CurrencyUnit.UGX, ugandan))).containsExactly("flutterwave", "airtel");
  }

  @Test
  void aMerchantRuleStillWinsOverTheCurrencysList() {
    RoutingProperties withRule = new RoutingProperties(List.of(List.of("acquirer_a")),
        Map.of("mer_1", List.of(List.of("flutterwave"))), null, 0);
    RailRouter ruled = new RailRouter(registry, withRule, currencyRouting,
        new RailHealth(List.of("acquirer_a", "airtel", "paystack", "flutterwave"), new SteppingClock(), withRule.health()),
        Draws.none());
    assertThat(names(ruled.candidates("mer_1", PaymentMethodType.CARD, null, CurrencyUnit.NGN, CARD)))
        .containsExactly("flutterwave");
  }

  @Test
  void badCurrencyListsFailNamingTheProperty() {
    assertThatThrownBy(() -> new CurrencyRouting(Map.of("XYZ", List.of(List.of("paystack")))))
        .hasMessageContaining("malipo.routing.currency-priority.XYZ");
    assertThatThrownBy(() -> new CurrencyRouting(Map.of("NGN", List.of(List.of()))))
        .hasMessageContaining("malipo.routing.currency-priority.NGN");
    assertThat(new CurrencyRouting(null).currencyPriority()).isEmpty();
  }

  private static List<String> names(List<RailAdapter> rails) {
    return rails.stream().map(RailAdapter::name).toList();
  }

  /** A rail of given methods, operators and currencies, serving wallets of one country code. */
  private record Rail(String name, Set<PaymentMethodType> methodTypes, Set<MobileMoneyOperator> operators,
      Set<CurrencyUnit> currencies, String walletPrefix) implements RailAdapter {

    @Override
    public PaymentMethodType methodType() {
      return methodTypes.iterator().next();
    }

    @Override
    public Optional<MobileMoneyOperator> operator() {
      return operators.size() == 1 ? Optional.of(operators.iterator().next()) : Optional.empty();
    }

    @Override
    public boolean serves(PaymentInstrument instrument, CurrencyUnit currency) {
      return !(instrument instanceof MobileMoneyPayer payer) || walletPrefix == null
          || payer.msisdn().startsWith(walletPrefix);
    }

    @Override
    public Mono<RailOutcome> authorize(RailRequest request) {
      return Mono.just(new RailOutcome.Approved(name, "r", "00"));
    }
  }
}
