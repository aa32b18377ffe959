package org.malipo.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.CardData;
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
import reactor.test.StepVerifier;

class RailRouterUnitTests {

  private static final RailLimits LIMITS =
      new RailLimits(Duration.ofSeconds(1), 10, 100, 50f, 80f, Duration.ofSeconds(2), 50, 20, Duration.ofSeconds(10), 5);

  private final ResilienceRegistries registries = ResilienceRegistries.create();
  private final FakeRail a = new FakeRail("acquirer_a");
  private final FakeRail b = new FakeRail("acquirer_b");
  private final FakeRail c = new FakeRail("acquirer_c");
  private final RailRegistry registry = new RailRegistry(List.of(
      ResilientRail.of(a, LIMITS, registries), ResilientRail.of(b, LIMITS, registries), ResilientRail.of(c, LIMITS, registries)));
  private final SteppingClock clock = new SteppingClock();

  @Test
  void strictPriorityKeepsAnUnhealthyFirstRailFirst() {
    RailRouter router = router(new RoutingProperties(tiers("acquirer_a", "acquirer_b"), null, null, 0));
    a.answer(new RailOutcome.NotAttempted("acquirer_a", "HTTP 503"));
    authorizeTimes(router, "acquirer_a", 10);

    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES)))
        .startsWith("acquirer_a", "acquirer_b");
  }

  @Test
  void aFailingRailFallsBehindTheOthersOfItsTierOnceItsOutcomesAreCounted() {
    RailRouter router = router(new RoutingProperties(List.of(List.of("acquirer_a", "acquirer_b")), null, null, 0));
    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES)))
        .containsExactly("acquirer_a", "acquirer_b", "acquirer_c");

    a.answer(new RailOutcome.NotAttempted("acquirer_a", "HTTP 503"));
    authorizeTimes(router, "acquirer_a", 5);

    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES)))
        .containsExactly("acquirer_b", "acquirer_a", "acquirer_c");
    assertThat(router.health().score("acquirer_a")).isZero();
  }

  @Test
  void aRecoveredRailTakesItsPlaceAgainWhenItsFailuresLeaveTheWindow() {
    RailRouter router = router(new RoutingProperties(List.of(List.of("acquirer_a", "acquirer_b")), null,
        new RoutingProperties.Health(Duration.ofSeconds(10), 5, Duration.ofMillis(500)), 0));
    a.answer(new RailOutcome.Unknown("acquirer_a", "timeout"));
    authorizeTimes(router, "acquirer_a", 5);
    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES))).first().isEqualTo("acquirer_b");

    clock.advance(Duration.ofSeconds(11));

    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES))).first().isEqualTo("acquirer_a");
  }

  @Test
  void explorationSendsAPaymentToTheDemotedRailSoItCanShowItRecovered() {
    RailRouter router = new RailRouter(registry, new RoutingProperties(List.of(List.of("acquirer_a", "acquirer_b")), null,
        null, 5), health(RoutingProperties.Health.defaults()), Draws.of(99, 4, 0));
    for (int i = 0; i < 5; i++) {
      router.health().record("acquirer_a", new RailOutcome.NotAttempted("acquirer_a", "HTTP 503"), 3);
    }

    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES)))
        .as("draw 99: no exploration").containsExactly("acquirer_b", "acquirer_a", "acquirer_c");
    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES)))
        .as("draw 4 < 5 %: the demoted rail of the same tier goes first").containsExactly("acquirer_a", "acquirer_b", "acquirer_c");
  }

  @Test
  void aRailWithAnOpenCircuitGoesLastEvenAheadOfItsPriority() {
    RailRouter router = router(new RoutingProperties(tiers("acquirer_a", "acquirer_b", "acquirer_c"), null, null, 0));
    registries.circuitBreakers().circuitBreaker("acquirer_a").transitionToOpenState();

    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES)))
        .containsExactly("acquirer_b", "acquirer_c", "acquirer_a");
  }

  @Test
  void aRailWithAFullBulkheadGoesLast() {
    RailRouter router = router(new RoutingProperties(tiers("acquirer_a", "acquirer_b", "acquirer_c"), null, null, 0));
    var bulkhead = registries.bulkheads().bulkhead("acquirer_a");
    for (int i = 0; i < LIMITS.maxConcurrentCalls(); i++) {
      assertThat(bulkhead.tryAcquirePermission()).isTrue();
    }

    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES)))
        .containsExactly("acquirer_b", "acquirer_c", "acquirer_a");
  }

  @Test
  void aMerchantRuleReplacesThePriorityAndAllowsOnlyTheRailsItNames() {
    RailRouter router = router(new RoutingProperties(tiers("acquirer_a", "acquirer_b", "acquirer_c"),
        Map.of("mer_x", tiers("acquirer_c", "acquirer_b")), null, 0));

    assertThat(names(router.candidates("mer_x", PaymentMethodType.CARD, null, CurrencyUnit.KES)))
        .containsExactly("acquirer_c", "acquirer_b");
    assertThat(names(router.candidates("mer_y", PaymentMethodType.CARD, null, CurrencyUnit.KES)))
        .containsExactly("acquirer_a", "acquirer_b", "acquirer_c");
  }

  @Test
  void railsNotNamedInThePriorityComeAfterItInConfigurationOrder() {
    RailRouter router = router(new RoutingProperties(tiers("acquirer_c"), null, null, 0));

    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES)))
        .containsExactly("acquirer_c", "acquirer_a", "acquirer_b");
  }

  @Test
  void railsThatDoNotServeTheMethodOrCurrencyAreNoCandidates() {
    RailRouter router = router(RoutingProperties.ofPriority("acquirer_a"));

    assertThat(router.candidates(null, PaymentMethodType.MOBILE_MONEY, null, CurrencyUnit.KES)).isEmpty();
    assertThat(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.USD)).isEmpty();
  }

  @Test
  void theRailsHandedOutPassTheOutcomeThroughUnchanged() {
    RailRouter router = router(RoutingProperties.ofPriority("acquirer_a"));
    RailOutcome declined = new RailOutcome.Declined("acquirer_a", "auth_9", "05", "card_declined", "Declined.");
    a.answer(declined);

    router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES).getFirst().authorize(request())
        .as(StepVerifier::create)
        .expectNext(declined)
        .verifyComplete();
  }

  @Test
  void aTestPaymentReachesOnlyTestRailsAndALiveOneOnlyLiveRails() {
    RailRouter router = router(RoutingProperties.ofPriority("acquirer_a", "acquirer_b", "acquirer_c"))
        .withModes(new RailModes(List.of("acquirer_b")));

    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES, null, false)))
        .containsExactly("acquirer_b");
    assertThat(names(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES, null, true)))
        .containsExactly("acquirer_a", "acquirer_c");
  }

  @Test
  void withoutTestRailsConfiguredEveryRailIsLiveSoATestPaymentFindsNone() {
    RailRouter router = router(RoutingProperties.ofPriority("acquirer_a")).withModes(new RailModes(null));

    assertThat(router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES, null, false)).isEmpty();
    assertThat(router.withModes(new RailModes(List.of("*")))
        .candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES, null, true)).isEmpty();
  }

  private RailRouter router(RoutingProperties properties) {
    return new RailRouter(registry, properties, health(properties.health()), Draws.none());
  }

  private RailHealth health(RoutingProperties.Health settings) {
    return new RailHealth(List.of("acquirer_a", "acquirer_b", "acquirer_c"), clock, settings);
  }

  private static List<List<String>> tiers(String... names) {
    return List.of(names).stream().map(List::of).toList();
  }

  private static void authorizeTimes(RailRouter router, String rail, int times) {
    for (int i = 0; i < times; i++) {
      RailAdapter candidate = router.candidates(null, PaymentMethodType.CARD, null, CurrencyUnit.KES).stream()
          .filter(r -> r.name().equals(rail)).findFirst().orElseThrow();
      candidate.authorize(request()).as(StepVerifier::create).expectNextCount(1).verifyComplete();
    }
  }

  private static List<String> names(List<RailAdapter> rails) {
    return rails.stream().map(RailAdapter::name).toList();
  }

  private static RailRequest request() {
    return new RailRequest("pay_1", "att_1_1", "mer_1", new Money(1_500, CurrencyUnit.KES),
        new CardData("4242424242424242", 12, 2030, "123"), "order-1");
  }

  /** A card rail answering a settable outcome. */
  static final class FakeRail implements RailAdapter {

    private final String name;
    private final AtomicReference<RailOutcome> next = new AtomicReference<>();

    FakeRail(String name) {
      this.name = name;
      this.next.set(new RailOutcome.Approved(name, "auth_1", "00"));
    }

    void answer(RailOutcome outcome) {
      next.set(outcome);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public PaymentMethodType methodType() {
      return PaymentMethodType.CARD;
    }

    @Override
    public Set<CurrencyUnit> currencies() {
      return Set.of(CurrencyUnit.KES);
    }

    @Override
    public Mono<RailOutcome> authorize(RailRequest request) {
      RailOutcome outcome = next.get();
      // A refusal by the rail travels as the adapter's error, as AcquirerRail signals it.
      if (outcome instanceof RailOutcome.NotAttempted n && !n.shed()) {
        return Mono.error(org.malipo.gateway.rail.RailException.notCharged(n.reason()));
      }
      return Mono.just(outcome);
    }
  }
}
