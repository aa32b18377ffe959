package org.malipo.gateway.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The trace context without automatic propagation (issue 24, docs/adr/0089): a rail call is a
 * child span of the span in the Reactor context and sends its traceparent; writes built in an
 * operator see the span's traceparent; a stored traceparent keeps its sampled flag and starts
 * children in its trace; nothing happens outside traced work.
 */
class TraceScopeUnitTests {

  private final List<SpanData> exported = new CopyOnWriteArrayList<>();
  private final Tracer tracer = tracer(Sampler.alwaysOn());

  @Test
  void aRailCallIsAChildSpanOfTheStageAndSendsItsTraceparent() {
    List<ClientRequest> sent = new CopyOnWriteArrayList<>();
    WebClient client = client("acquirer_a", sent);
    Span stage = tracer.nextSpan().name("payment.rail").start();

    StepVerifier.create(TraceScope.within(stage, client.post().uri("http://rail.test:8443/v1/authorizations/4242")
        .retrieve().toBodilessEntity())).expectNextCount(1).verifyComplete();
    stage.end();

    SpanData call = exported.stream().filter(span -> span.getName().equals("http post")).findFirst().orElseThrow();
    assertThat(call.getParentSpanId()).isEqualTo(stage.context().spanId());
    assertThat(call.getAttributes().asMap().toString()).contains("acquirer_a").contains("rail.test").doesNotContain("4242");
    assertThat(sent.getFirst().headers().getFirst("traceparent"))
        .isEqualTo("00-" + stage.context().traceId() + "-" + call.getSpanId() + "-01");
  }

  @Test
  void aCallOutsideTracedWorkHasNoSpanAndNoTraceparent() {
    List<ClientRequest> sent = new CopyOnWriteArrayList<>();
    WebClient client = client("mpesa", sent);

    StepVerifier.create(client.get().uri("http://rail.test/status").retrieve().toBodilessEntity())
        .expectNextCount(1).verifyComplete();

    assertThat(sent.getFirst().headers().containsHeader("traceparent")).isFalse();
    assertThat(exported).isEmpty();
  }

  @Test
  void aWriteBuiltInAnOperatorRecordsTheSpanOfItsSubscriber() {
    Span callback = tracer.nextSpan().name("callback.process").start();
    Mono<String> write = Mono.just("row").flatMap(row -> TraceScope.deferInTrace(() -> Mono.justOrEmpty(TraceContext.current())));

    StepVerifier.create(TraceScope.within(callback, write)).expectNext(TraceScope.traceparent(callback)).verifyComplete();
    StepVerifier.create(write).verifyComplete();
    assertThat(TraceContext.current()).isNull();
  }

  @Test
  void aStoredTraceparentStartsAChildInItsTraceAndKeepsItsSampledFlag() {
    Span recorded = tracer.nextSpan().name("payment.idempotency").start();
    String stored = TraceScope.traceparent(recorded);
    recorded.end();

    Span child = TraceScope.startChildOf(tracer, stored, "callback.process", Span.Kind.CONSUMER);
    child.end();

    assertThat(stored).endsWith("-01");
    assertThat(child.context().traceId()).isEqualTo(recorded.context().traceId());
    assertThat(exported).anyMatch(span -> span.getName().equals("callback.process")
        && span.getParentSpanId().equals(recorded.context().spanId()));
    assertThat(TraceScope.startChildOf(tracer, "00-not-a-traceparent-01", "x", Span.Kind.CONSUMER)).isNull();
    // W3C Trace Context §3.2.2: an all-zero trace id and version ff are invalid, however well shaped.
    assertThat(TraceScope.startChildOf(tracer, "00-" + "0".repeat(32) + "-" + recorded.context().spanId() + "-01", "x",
        Span.Kind.CONSUMER)).isNull();
    assertThat(TraceScope.startChildOf(tracer, stored.replaceFirst("^00", "ff"), "x", Span.Kind.CONSUMER)).isNull();
    assertThat(TraceScope.startChildOf(tracer, null, "x", Span.Kind.CONSUMER)).isNull();
    assertThat(TraceScope.startChildOf(null, stored, "x", Span.Kind.CONSUMER)).isNull();

    Span unsampled = tracer(Sampler.alwaysOff()).nextSpan().name("payment.idempotency").start();
    assertThat(TraceScope.traceparent(unsampled)).endsWith("-00");
  }

  @Test
  void joinedWorkRunsInAChildOfTheStoredTraceparentWhichEndsWithItsSignal() {
    Span recorded = tracer.nextSpan().name("payment.idempotency").start();
    String stored = TraceScope.traceparent(recorded);
    recorded.end();
    Mono<String> work = TraceScope.joined(tracer, stored, "reconciler.resolve", null, span -> span.tag("malipo.payment", "pay_1"),
        () -> Mono.just("row").flatMap(row -> TraceScope.deferInTrace(() -> Mono.justOrEmpty(TraceContext.current()))));

    String seen = work.block();

    SpanData resolve = exported.stream().filter(span -> span.getName().equals("reconciler.resolve")).findFirst().orElseThrow();
    assertThat(resolve.getParentSpanId()).isEqualTo(recorded.context().spanId());
    assertThat(resolve.getTraceId()).isEqualTo(recorded.context().traceId());
    assertThat(resolve.getAttributes().asMap().toString()).contains("pay_1");
    assertThat(seen).as("what the work writes records the joined span")
        .isEqualTo("00-" + resolve.getTraceId() + "-" + resolve.getSpanId() + "-01");

    StepVerifier.create(TraceScope.joined(tracer, stored, "three_d_secure.result", Span.Kind.CONSUMER, span -> { },
        () -> Mono.error(new IllegalStateException("moved on")))).verifyError(IllegalStateException.class);
    assertThat(exported).anyMatch(span -> span.getName().equals("three_d_secure.result")
        && span.getStatus().getStatusCode() == io.opentelemetry.api.trace.StatusCode.ERROR);
  }

  @Test
  void joinedWorkWithoutATracerOrAStoredTraceparentRunsAsItIs() {
    int before = exported.size();
    StepVerifier.create(TraceScope.joined(null, "00-" + "a".repeat(32) + "-" + "b".repeat(16) + "-01", "x", null,
        span -> { throw new AssertionError("no span"); }, () -> Mono.justOrEmpty(TraceContext.current()))).verifyComplete();
    StepVerifier.create(TraceScope.joined(tracer, null, "x", null,
        span -> { throw new AssertionError("no span"); }, () -> Mono.just("done"))).expectNext("done").verifyComplete();
    assertThat(exported).hasSize(before);
  }

  /** A traced client of {@code peer} whose "server" records each request in {@code sent} and answers 200. */
  private WebClient client(String peer, List<ClientRequest> sent) {
    return new ClientSpans(provider(tracer)).applyTo(WebClient.builder(), peer)
        .exchangeFunction(request -> {
          sent.add(request);
          return Mono.just(ClientResponse.create(HttpStatus.OK).build());
        })
        .build();
  }

  private Tracer tracer(Sampler sampler) {
    SpanExporter exporter = new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        exported.addAll(spans);
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    SdkTracerProvider provider = SdkTracerProvider.builder().setSampler(sampler)
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    return new OtelTracer(provider.get("test"), new OtelCurrentTraceContext(), event -> { });
  }

  private static org.springframework.beans.factory.ObjectProvider<Tracer> provider(Tracer tracer) {
    StaticListableBeanFactory beans = new StaticListableBeanFactory();
    beans.addBean("tracer", tracer);
    return beans.getBeanProvider(Tracer.class);
  }
}
