package org.malipo.gateway.rail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.ClientSpans;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.card.CardRails;
import org.malipo.gateway.sandbox.SandboxProperties;
import org.malipo.gateway.sandbox.SandboxServer;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import reactor.test.StepVerifier;

/**
 * The rail wiring in a minimal Spring context (no database, Redis or Kafka): defaults, the
 * sandbox switch, property binding, start-up failures, metrics and shutdown.
 */
class RailConfigurationTests {

  private static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(5);

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties(SandboxProperties.class)
  @Import(SandboxServer.class)
  static class Sandbox {}

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withUserConfiguration(Sandbox.class, RailConfiguration.class)
      // The application's ClientSpans is a component scan finds; untraced here.
      .withBean(ClientSpans.class, () -> ClientSpans.OFF);

  @Test
  void servesTwoSandboxAcquirersWhenNothingIsConfigured() {
    runner.withPropertyValues("malipo.sandbox.enabled=true").run(context -> {
      RailRegistry registry = context.getBean(RailRegistry.class);
      assertThat(registry.all()).extracting(RailAdapter::name).containsExactly("acquirer_a", "acquirer_b");
      assertThat(registry.all()).allMatch(ResilientRail.class::isInstance);
      assertThat(registry.all()).allSatisfy(rail -> {
        assertThat(rail.methodType()).isEqualTo(PaymentMethodType.CARD);
        assertThat(rail.currencies()).containsExactlyInAnyOrder(CurrencyUnit.values());
      });

      registry.byName("acquirer_b").orElseThrow()
          .authorize(new RailRequest(Ids.next("pay"), Ids.next("att"), "mer_test", new Money(150_000, CurrencyUnit.KES),
              new CardData("4242424242424242", 12, 2030, "123"), null))
          .as(StepVerifier::create)
          .expectNextMatches(RailOutcome.Approved.class::isInstance)
          .expectComplete()
          .verify(VERIFY_TIMEOUT);
    });
  }

  @Test
  void failsStartUpWhenAnAcquirerNeedsTheSandboxAndItIsOff() {
    runner.run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause()
          .hasMessageContaining("acquirer_a.base-url is empty")
          .hasMessageContaining("malipo.sandbox.enabled=true");
    });
  }

  @Test
  void failsStartUpWhenARealAcquirerHasNoApiKey() {
    runner.withPropertyValues("malipo.rails.card.acquirers[acquirer_x].base-url=https://acquirer.example/api")
        .run(context -> assertThat(context.getStartupFailure()).rootCause()
            .hasMessageContaining("acquirer_x.api-key is required"));
  }

  @Test
  void bindsAcquirerSettingsAndKeepsTheOtherDefaults() {
    runner.withPropertyValues(
            "malipo.rails.card.acquirers[acquirer_x].base-url=http://127.0.0.1:9/x",
            "malipo.rails.card.acquirers[acquirer_x].api-key=k",
            "malipo.rails.card.acquirers[acquirer_x].currencies=KES,UGX",
            "malipo.rails.card.acquirers[acquirer_x].timeout=300ms",
            "malipo.rails.card.acquirers[acquirer_x].circuit-breaker.minimum-number-of-calls=4")
        .run(context -> {
          assertThat(context).doesNotHaveBean(SandboxServer.class);
          RailAdapter rail = context.getBean(RailRegistry.class).byName("acquirer_x").orElseThrow();
          assertThat(rail.currencies()).containsExactlyInAnyOrder(CurrencyUnit.KES, CurrencyUnit.UGX);
          RailLimits limits = context.getBean(CardRails.class).limits("acquirer_x");
          assertThat(limits.callTimeout()).isEqualTo(Duration.ofMillis(300));
          assertThat(limits.minimumNumberOfCalls()).isEqualTo(4);
          assertThat(limits.maxConcurrentCalls()).isEqualTo(200);
          assertThat(limits.ratePerSecond()).isEqualTo(1000);
          assertThat(limits.failureRatePercent()).isEqualTo(50f);
          assertThat(limits.slowCallRatePercent()).isEqualTo(80f);
          assertThat(limits.slowCallDuration()).isEqualTo(Duration.ofSeconds(2));
          assertThat(limits.slidingWindowSize()).isEqualTo(50);
          assertThat(limits.waitInOpen()).isEqualTo(Duration.ofSeconds(10));
          assertThat(limits.permittedCallsInHalfOpen()).isEqualTo(5);
          assertThat(context.getBean(RailRegistry.class).byName("acquirer_a")).isEmpty();
        });
  }

  @Test
  void refusesANonPositiveLimit() {
    runner.withPropertyValues("malipo.sandbox.enabled=true", "malipo.rails.card.acquirers[acquirer_a].max-concurrent-calls=0")
        .run(context -> assertThat(context.getStartupFailure()).rootCause()
            .hasMessageContaining("max-concurrent-calls must be positive"));
  }

  @Test
  void publishesResilienceMetricsWhenAMeterRegistryExists() {
    runner.withPropertyValues("malipo.sandbox.enabled=true")
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(context -> {
          MeterRegistry meters = context.getBean(MeterRegistry.class);
          assertThat(meters.find("resilience4j.circuitbreaker.state").tag("name", "acquirer_a").gauges()).isNotEmpty();
          assertThat(meters.find("resilience4j.bulkhead.available.concurrent.calls").tag("name", "acquirer_b").gauge())
              .isNotNull();
          assertThat(meters.find("resilience4j.ratelimiter.available.permissions").tag("name", "acquirer_a").gauge())
              .isNotNull();
        });
  }

  @Test
  void stopsTheSandboxWithTheContext() {
    AtomicInteger port = new AtomicInteger();
    runner.withPropertyValues("malipo.sandbox.enabled=true")
        .run(context -> port.set(context.getBean(SandboxServer.class).port()));

    assertThat(port.get()).isPositive();
    assertThatThrownBy(() -> {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port.get()), 1_000);
      }
    }).isInstanceOf(IOException.class);
  }
}
