package org.malipo.gateway.sandbox;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Duration;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.resources.LoopResources;

/**
 * The in-process sandbox: an HTTP server on 127.0.0.1 that simulates card acquirers for local
 * runs, tests and load tests ({@code docs/rails/sandbox-acquirer.md}).
 *
 * <p>It binds once, in the constructor, and serves {@code POST /{acquirer}/v1/authorizations} for
 * any acquirer name ({@code acquirer_a}, {@code acquirer_b} …); {@link #close()} (called by Spring
 * on shutdown) stops it. It has its own event-loop threads, so it behaves like a remote acquirer
 * rather than sharing the gateway's loops. Enabled by {@code malipo.sandbox.enabled=true}.
 */
@Component
@ConditionalOnProperty(prefix = "malipo.sandbox", name = "enabled", havingValue = "true")
public final class SandboxServer implements AutoCloseable {

  /** Largest request body accepted; an authorization is a few hundred bytes. */
  static final int MAX_BODY_BYTES = 16 * 1024;

  private static final Logger log = LoggerFactory.getLogger(SandboxServer.class);
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
  /** Longer than the rail clients' pooled-connection idle time, so the client always closes first. */
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

  private final SandboxAcquirer acquirer;
  private final Duration latency;
  private final String apiKey;
  private final LoopResources loops;
  private final DisposableServer server;

  /**
   * Binds the server; this blocks the calling (start-up) thread until bound.
   *
   * @param properties port, acquirer key and latency
   * @throws RuntimeException when the port cannot be bound within 10 s
   */
  public SandboxServer(SandboxProperties properties) {
    this.acquirer = new SandboxAcquirer(properties.acquirerApiKey(), Clock.systemUTC());
    this.latency = properties.acquirerLatency();
    this.apiKey = properties.acquirerApiKey();
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    this.loops = LoopResources.create("sandbox", threads, true);
    try {
      this.server = HttpServer.create()
          .host("127.0.0.1")
          .port(properties.port())
          .runOn(loops)
          .idleTimeout(IDLE_TIMEOUT)
          .httpRequestDecoder(spec -> spec.maxInitialLineLength(4096).maxHeaderSize(8192))
          .route(routes -> routes
              .post("/{acquirer}/v1/authorizations", this::authorize)
              .post("/{acquirer}/v1/refunds", this::refund))
          .bindNow(BIND_TIMEOUT);
    } catch (RuntimeException e) {
      loops.dispose();
      throw e;
    }
    log.info("sandbox acquirers listening on {} (latency {})", baseUrl(), latency);
  }

  /** The root URL, e.g. {@code http://127.0.0.1:40123}; an acquirer's API is below {@code /{name}}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  /** The bound port. */
  public int port() {
    return server.port();
  }

  /** The Bearer key the sandbox acquirers accept. */
  public String acquirerApiKey() {
    return apiKey;
  }

  /** Stops the server and its threads; waits up to 5 s each. Idempotent. */
  @Override
  public void close() {
    if (!server.isDisposed()) {
      server.disposeNow(STOP_TIMEOUT);
    }
    // No quiet period: the server is already closed, so no task can arrive on these loops.
    loops.disposeLater(Duration.ZERO, STOP_TIMEOUT).block(STOP_TIMEOUT);
  }

  private Publisher<Void> authorize(HttpServerRequest request, HttpServerResponse response) {
    String name = request.param("acquirer");
    String authorization = request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
    String idempotencyKey = request.requestHeaders().get("Idempotency-Key");
    return readBody(request)
        .map(body -> acquirer.authorize(name, authorization, idempotencyKey, body))
        .onErrorResume(BodyTooLarge.class, e -> Mono.just(acquirer.error(413, "request_too_large", "30")))
        .delayUntil(reply -> latency.isZero() ? Mono.empty() : Mono.delay(latency))
        .flatMap(reply -> response.status(HttpResponseStatus.valueOf(reply.status()))
            .header(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
            .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(reply.body().length))
            .sendByteArray(Mono.just(reply.body()))
            .then());
  }

  private Publisher<Void> refund(HttpServerRequest request, HttpServerResponse response) {
    String name = request.param("acquirer");
    String authorization = request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
    String idempotencyKey = request.requestHeaders().get("Idempotency-Key");
    return readBody(request)
        .map(body -> acquirer.refund(name, authorization, idempotencyKey, body))
        .onErrorResume(BodyTooLarge.class, e -> Mono.just(acquirer.error(413, "request_too_large", "30")))
        .delayUntil(reply -> latency.isZero() ? Mono.empty() : Mono.delay(latency))
        .flatMap(reply -> response.status(HttpResponseStatus.valueOf(reply.status()))
            .header(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
            .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(reply.body().length))
            .sendByteArray(Mono.just(reply.body()))
            .then());
  }

  private static Mono<byte[]> readBody(HttpServerRequest request) {
    return request.receive()
        .asByteArray()
        .collect(ByteArrayOutputStream::new, (buffer, chunk) -> {
          if (buffer.size() + chunk.length > MAX_BODY_BYTES) {
            throw new BodyTooLarge();
          }
          buffer.writeBytes(chunk);
        })
        .map(ByteArrayOutputStream::toByteArray);
  }

  private static final class BodyTooLarge extends RuntimeException {
    BodyTooLarge() {
      super("request body over " + MAX_BODY_BYTES + " bytes", null, false, false);
    }
  }
}
