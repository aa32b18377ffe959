package org.malipo.gateway.rail;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.malipo.gateway.common.ClientSpans;
import org.malipo.gateway.rail.card.CardRailProperties;
import org.malipo.gateway.rail.card.CardRails;
import org.malipo.gateway.sandbox.SandboxServer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Builds the {@link RailRegistry}: every configured rail, each wrapped in its
 * {@link ResilientRail}, with the Resilience4j meters published when a {@link MeterRegistry}
 * exists.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({CardRailProperties.class, MobileMoneyRailProperties.class, RegionalRailProperties.class})
class RailConfiguration {

  /**
   * The card acquirers; their connection pools close with the context.
   *
   * @param sandbox the in-process sandbox, needed by acquirers without a {@code base-url}
   * @throws IllegalStateException when an acquirer needs the sandbox and it is off
   */
  @Bean(destroyMethod = "close")
  CardRails cardRails(CardRailProperties properties, ObjectProvider<SandboxServer> sandbox, ClientSpans spans) {
    return CardRails.create(properties, sandbox.getIfAvailable(), spans);
  }

  /**
   * The mobile-money rails (M-Pesa, MTN MoMo); their connection pools close with the context.
   *
   * @param callbackUrls the gateway's callback endpoints, from the {@code callback} module; without
   *     them (a context without that module) no mobile-money rail is registered
   */
  @Bean(destroyMethod = "close")
  MobileMoneyRails mobileMoneyRails(MobileMoneyRailProperties properties, ObjectProvider<SandboxServer> sandbox,
      ObjectProvider<CallbackUrls> callbackUrls, ObjectProvider<Clock> clock, ClientSpans spans) {
    CallbackUrls urls = callbackUrls.getIfAvailable();
    return MobileMoneyRails.create(properties, urls == null ? null : sandbox.getIfAvailable(), urls,
        clock.getIfAvailable(Clock::systemUTC), spans);
  }

  /** Issue 22's rails (Airtel, Orange, Paystack, Flutterwave); their pools close with the context. */
  @Bean(destroyMethod = "close")
  RegionalRails regionalRails(RegionalRailProperties properties, ObjectProvider<SandboxServer> sandbox,
      ObjectProvider<CallbackUrls> callbackUrls, ObjectProvider<Clock> clock, ClientSpans spans) {
    CallbackUrls urls = callbackUrls.getIfAvailable();
    return RegionalRails.create(properties, urls == null ? null : sandbox.getIfAvailable(), urls,
        clock.getIfAvailable(Clock::systemUTC), spans);
  }

  /** The registries of every rail's resilience components, bound to Micrometer when present. */
  @Bean
  ResilienceRegistries railResilienceRegistries(ObjectProvider<MeterRegistry> meterRegistry) {
    ResilienceRegistries registries = ResilienceRegistries.create();
    meterRegistry.ifAvailable(registries::bindTo);
    return registries;
  }

  /** Every rail, decorated; {@link RailAdapter#authorize} on them never signals an error. */
  @Bean
  RailRegistry railRegistry(CardRails cardRails, MobileMoneyRails mobileMoneyRails, RegionalRails regionalRails,
      ResilienceRegistries registries) {
    List<RailAdapter> rails = new ArrayList<>();
    cardRails.adapters().forEach(rail -> rails.add(ResilientRail.of(rail, cardRails.limits(rail.name()), registries)));
    mobileMoneyRails.rails().forEach((rail, limits) -> rails.add(ResilientRail.of(rail, limits, registries)));
    regionalRails.rails().forEach((rail, limits) -> rails.add(ResilientRail.of(rail, limits, registries)));
    return new RailRegistry(rails);
  }
}
