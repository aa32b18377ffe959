package org.malipo.gateway.common;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.util.Locale;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * A client span per outbound HTTP call of a WebClient (issue 24: the rail calls), a child of the
 * span in the Reactor context ({@link TraceScope#current}: the {@code payment.rail} stage, a
 * {@code callback.process}), that sends the W3C {@code traceparent} to the server so the rail's
 * own tracing (the sandbox rails receive it too) can join the payment's trace.
 *
 * <p>Span {@code http <method>}, kind client, attributes {@code peer.service} (the rail),
 * {@code http.request.method}, {@code server.address}, {@code server.port} and
 * {@code http.response.status_code}: never the path or query, which may carry references or
 * payer numbers. A call outside any traced work (a background status query of an untraced
 * payment) gets no span: no orphan traces. With tracing off {@link #applyTo} leaves the builder
 * as it is (no filter at all: the benchmark pays nothing).
 */
@Component
public final class ClientSpans {

  /** No spans: for clients built outside a Spring context (tests of one rail). */
  public static final ClientSpans OFF = new ClientSpans((Tracer) null);

  /** Null when tracing is off. */
  private final Tracer tracer;

  @org.springframework.beans.factory.annotation.Autowired
  ClientSpans(ObjectProvider<Tracer> tracer) {
    this(tracer.getIfAvailable());
  }

  private ClientSpans(Tracer tracer) {
    this.tracer = TraceScope.active(tracer);
  }

  /**
   * {@code builder} with a span per call to {@code peer} when tracing is on; unchanged otherwise.
   *
   * @param peer the remote service's low-cardinality name (the rail: {@code mpesa}, {@code acquirer_a})
   */
  public WebClient.Builder applyTo(WebClient.Builder builder, String peer) {
    return tracer == null ? builder : builder.filter(filter(peer));
  }

  private ExchangeFilterFunction filter(String peer) {
    return (request, next) -> Mono.deferContextual(context -> {
      Span parent = TraceScope.current(context);
      if (parent == null) {
        return next.exchange(request);
      }
      String method = request.method().name();
      Span span = tracer.spanBuilder().setParent(parent.context()).name("http " + method.toLowerCase(Locale.ROOT)).kind(Span.Kind.CLIENT)
          .remoteServiceName(peer)
          .tag("peer.service", peer)
          .tag("http.request.method", method)
          .tag("server.address", String.valueOf(request.url().getHost()))
          .tag("server.port", String.valueOf(request.url().getPort()))
          .start();
      ClientRequest traced = ClientRequest.from(request)
          .headers(headers -> headers.set("traceparent", TraceScope.traceparent(span)))
          .build();
      return next.exchange(traced)
          .doOnNext(response -> span.tag("http.response.status_code", String.valueOf(response.statusCode().value())))
          .doOnError(span::error)
          .doFinally(signal -> span.end());
    });
  }
}
