package org.malipo.gateway.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.tracing.Tracer;
import io.r2dbc.spi.ConnectionFactory;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * With tracing off (no tracer, or Micrometer's no-op one: the bench and test profiles) the
 * tracing pieces add nothing to the hot path (issue 24, docs/adr/0089): the connection factory
 * is not wrapped, rail clients get no filter, no stored trace is joined; and the bench profile has
 * no OpenTelemetry tracer.
 */
class TracingOffUnitTests {

  private static final ConnectionFactory FACTORY = (ConnectionFactory) Proxy.newProxyInstance(
      TracingOffUnitTests.class.getClassLoader(), new Class<?>[] {ConnectionFactory.class}, (proxy, method, args) -> null);

  @Test
  void theNoOpTracerLeavesTheConnectionFactoryUnwrapped() {
    assertThat(new DatabaseSpans().databaseSpansDecorator(tracer(Tracer.NOOP)).decorate(FACTORY)).isSameAs(FACTORY);
    assertThat(new DatabaseSpans().databaseSpansDecorator(tracer(null)).decorate(FACTORY)).isSameAs(FACTORY);
  }

  @Test
  void theNoOpTracerAddsNoFilterToAClient() {
    for (ClientSpans spans : List.of(new ClientSpans(tracer(Tracer.NOOP)), new ClientSpans(tracer(null)), ClientSpans.OFF)) {
      List<ExchangeFilterFunction> filters = new ArrayList<>();
      spans.applyTo(WebClient.builder(), "acquirer_a").filters(filters::addAll);
      assertThat(filters).isEmpty();
    }
  }

  @Test
  void theNoOpTracerJoinsNoStoredTraceAndRunsTheWorkAsItIs() {
    // What callbacks, 3-D Secure results and the reconciler's resolutions go through (docs/adr/0089).
    Tracer off = TraceScope.active(tracer(Tracer.NOOP).getIfAvailable());
    assertThat(off).isNull();
    String stored = "00-" + "a".repeat(32) + "-" + "b".repeat(16) + "-01";
    assertThat(TraceScope.joined(off, stored, "reconciler.resolve", null,
        span -> { throw new AssertionError("a span with tracing off"); },
        () -> reactor.core.publisher.Mono.justOrEmpty(TraceContext.current())).blockOptional()).isEmpty();
  }

  @Test
  void theBenchProfileHasNoOpenTelemetryTracerAndExportsNothing() throws IOException {
    List<PropertySource<?>> bench = new YamlPropertySourceLoader().load("bench",
        new ClassPathResource("application-bench.yml"));
    List<Object> excluded = new ArrayList<>();
    for (int i = 0; bench.getFirst().containsProperty("spring.autoconfigure.exclude[" + i + "]"); i++) {
      excluded.add(bench.getFirst().getProperty("spring.autoconfigure.exclude[" + i + "]").toString());
    }
    assertThat(excluded).contains(
        "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration",
        "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.otlp.OtlpTracingAutoConfiguration");
    assertThat(bench.getFirst().getProperty("management.tracing.export.enabled").toString()).isEqualTo("false");
  }

  private static org.springframework.beans.factory.ObjectProvider<Tracer> tracer(Tracer tracer) {
    StaticListableBeanFactory beans = new StaticListableBeanFactory();
    if (tracer != null) {
      beans.addBean("tracer", tracer);
    }
    return beans.getBeanProvider(Tracer.class);
  }
}
