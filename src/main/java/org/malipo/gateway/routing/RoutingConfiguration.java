package org.malipo.gateway.routing;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Builds the {@link RailRouter} and publishes each rail's health score as the gauge
 * {@code malipo.rail.health{rail}} (0.0 to 1.0, this instance's view).
 */
@Configuration(proxyBeanMethods = false)
class RoutingConfiguration {

  /** Each call draws from the calling thread's own generator: no shared state, no contention. */
  private static final RandomGenerator THREAD_LOCAL_RANDOM = () -> ThreadLocalRandom.current().nextLong();

  @Bean
  RailRouter railRouter(RailRegistry rails, RoutingProperties properties, ObjectProvider<CurrencyRouting> currencyRouting,
      Clock clock, ObjectProvider<MeterRegistry> meterRegistry, RailModes modes) {
    RailHealth health = new RailHealth(rails.all().stream().map(RailAdapter::name).toList(), clock, properties.health());
    meterRegistry.ifAvailable(meters -> rails.all().forEach(rail ->
        Gauge.builder("malipo.rail.health", health, h -> h.score(rail.name()))
            .tag("rail", rail.name())
            .description("Health score of the rail on this instance, 0 to 1: success rate times a latency factor")
            .register(meters)));
    return new RailRouter(rails, properties, currencyRouting.getIfAvailable(CurrencyRouting::none), health,
        THREAD_LOCAL_RANDOM).withModes(modes);
  }
}
