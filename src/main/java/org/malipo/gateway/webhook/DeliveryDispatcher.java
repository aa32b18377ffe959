package org.malipo.gateway.webhook;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.reactor.bulkhead.operator.BulkheadOperator;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.netty.channel.ChannelOption;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.common.TraceScope;
import org.springframework.beans.factory.ObjectProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.util.concurrent.Queues;

/**
 * Sends due webhook deliveries, driven from the database so retries survive restarts and spread
 * over instances (docs/adr/0021-webhook-delivery.md).
 *
 * <p>Each pass (every {@code poll-interval}, or at once when woken) claims at most as many due
 * deliveries as there are free slots of {@code max-in-flight}, and starts each POST on its own:
 * a pass never waits for a slow endpoint. Per endpoint a Resilience4j bulkhead
 * ({@code per-endpoint-concurrency}, no waiting) and circuit breaker keep one dead or hanging
 * endpoint from taking the slots of the others; a delivery they refuse is postponed without
 * counting as an attempt.
 *
 * <p>Every POST: the event JSON as published, {@code Malipo-Signature}, {@code Malipo-Event-Id},
 * a {@code delivery-timeout} from connect to response, redirects not followed, and only peer
 * addresses {@link EndpointUrlPolicy} allows after DNS resolution. A 2xx is delivered; anything
 * else is retried per {@link RetrySchedule}, then dead-lettered. Every attempt is recorded.
 */
@Component
final class DeliveryDispatcher extends BackgroundJob {

  static final String EVENT_ID_HEADER = "Malipo-Event-Id";

  private static final Logger log = LoggerFactory.getLogger(DeliveryDispatcher.class);

  private final WebhookDeliveries deliveries;
  private final WebhookProperties properties;
  private final RetrySchedule schedule;
  private final Clock clock;
  private final WebClient client;
  private final ConnectionProvider connections;
  private final BulkheadRegistry bulkheads;
  private final CircuitBreakerRegistry circuits;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Sinks.Many<Boolean> wakeUps = Sinks.many().unicast().onBackpressureBuffer(Queues.<Boolean>one().get());
  private final MeterRegistry meters;
  /** Null when tracing is off: deliveries are then sent without a span or a traceparent. */
  private final Tracer tracer;

  DeliveryDispatcher(WebhookDeliveries deliveries, WebhookProperties properties, RetrySchedule schedule,
      EndpointUrlPolicy urls, Clock clock, MeterRegistry meters, ObjectProvider<Tracer> tracer) {
    this.tracer = TraceScope.active(tracer.getIfAvailable());
    this.deliveries = deliveries;
    this.properties = properties;
    this.schedule = schedule;
    this.clock = clock;
    this.meters = meters;
    // Every outcome's series exists from start-up, at 0: an alert on dead letters (WebhooksDeadLettered)
    // sees the first one as an increase, not as a series appearing.
    for (String outcome : new String[] {"delivered", "retry", "dead"}) {
      meters.counter("malipo.webhooks.attempts", "outcome", outcome);
    }
    this.connections = ConnectionProvider.builder("webhooks")
        .maxConnections(properties.maxInFlight())
        .pendingAcquireMaxCount(properties.maxInFlight())
        .pendingAcquireTimeout(properties.deliveryTimeout())
        .maxIdleTime(Duration.ofSeconds(30))
        .build();
    HttpClient http = httpClient(connections, properties.deliveryTimeout(), urls);
    this.client = WebClient.builder().clientConnector(new ReactorClientHttpConnector(http)).build();
    this.bulkheads = BulkheadRegistry.of(BulkheadConfig.custom()
        .maxConcurrentCalls(properties.perEndpointConcurrency())
        .maxWaitDuration(Duration.ZERO)
        .build());
    this.circuits = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(properties.circuitWindow())
        .minimumNumberOfCalls(properties.circuitWindow())
        .failureRateThreshold(properties.circuitFailureRatePercent())
        .waitDurationInOpenState(properties.circuitOpenDuration())
        .permittedNumberOfCallsInHalfOpenState(1)
        .build());
  }

  /**
   * The HTTP client of deliveries: no redirects, {@code timeout} to the response, and only peer
   * addresses {@code urls} allows. The check runs after name resolution and hands Reactor Netty
   * the very list it connects to, for resolved names and IP literals alike, so what was checked is
   * what is connected to: a DNS answer that changes between registration and delivery (rebinding)
   * gains nothing (ADR 0054).
   */
  static HttpClient httpClient(ConnectionProvider connections, Duration timeout, EndpointUrlPolicy urls) {
    return HttpClient.create(connections)
        .followRedirect(false)
        .responseTimeout(timeout)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), 5_000))
        // No address left fails the attempt (UnknownHostException), and it is retried later.
        .resolvedAddressesSelector((config, resolved) -> allowedOnly(urls, resolved));
  }

  static List<? extends SocketAddress> allowedOnly(EndpointUrlPolicy urls, List<? extends SocketAddress> resolved) {
    return resolved.stream()
        // Fail closed: an address that is not a resolved IP (unresolved, a Unix socket) is dropped.
        .filter(address -> address instanceof InetSocketAddress inet && inet.getAddress() != null
            && urls.allowed(inet.getAddress()))
        .toList();
  }

  /** Asks for a pass soon (new deliveries were recorded); coalesces with other wake-ups. */
  void wakeUp() {
    wakeUps.tryEmitNext(Boolean.TRUE);
  }

  @Override
  protected Disposable launch() {
    Flux<Boolean> ticks = Flux.merge(Flux.interval(properties.pollInterval()).map(tick -> Boolean.TRUE), wakeUps.asFlux())
        .onBackpressureDrop();
    return ticks.concatMap(tick -> pass(), 1).subscribe();
  }

  /** Claims what fits into the free slots and starts each attempt without waiting for it. */
  Mono<Integer> pass() {
    int free = Math.min(properties.batchSize(), properties.maxInFlight() - inFlight.get());
    if (free <= 0) {
      return Mono.just(0);
    }
    return deliveries.claimDue(free, properties.claimLease().toMillis())
        .doOnNext(claimed -> {
          inFlight.incrementAndGet();
          attempt(claimed).doFinally(signal -> inFlight.decrementAndGet()).subscribe();
        })
        .count()
        .map(Long::intValue)
        .onErrorResume(error -> {
          log.warn("webhook dispatcher pass failed, due deliveries stay due: {}", error.toString());
          return Mono.just(0);
        });
  }

  private Mono<Void> attempt(WebhookDeliveries.Claimed delivery) {
    Instant started = clock.instant();
    long startNanos = System.nanoTime();
    int attempt = delivery.attemptsMade() + 1;
    Bulkhead bulkhead = bulkheads.bulkhead(delivery.endpointId());
    CircuitBreaker circuit = circuits.circuitBreaker(delivery.endpointId());
    Span span = span(delivery, attempt);
    String traceparent = span == null ? null : TraceScope.traceparent(span);
    Mono<Void> attempted = post(delivery, started, traceparent)
        .transformDeferred(CircuitBreakerOperator.of(circuit))
        .transformDeferred(BulkheadOperator.of(bulkhead))
        .flatMap(code -> record(delivery, attempt, started, startNanos, code, null, true))
        .onErrorResume(error -> {
          if (error instanceof BulkheadFullException) {
            return deliveries.postpone(delivery, properties.pollInterval().toMillis());
          }
          if (error instanceof CallNotPermittedException) {
            return deliveries.postpone(delivery, properties.circuitOpenDuration().toMillis());
          }
          Integer code = error instanceof NonSuccessStatus status ? status.code : null;
          return record(delivery, attempt, started, startNanos, code, describe(error), false);
        })
        .onErrorResume(error -> {
          // Recording failed (database away): the claim's lease expires and the delivery is tried again.
          log.warn("could not record webhook attempt {} of {}: {}", attempt, delivery.id(), error.toString());
          return Mono.empty();
        });
    return span == null ? attempted : attempted.doFinally(signal -> span.end());
  }

  /**
   * The attempt's span, a child of the span that wrote the event (the delivery's stored W3C
   * traceparent), so the webhook joins its payment's trace; null when tracing is off or the
   * event was not traced.
   */
  private Span span(WebhookDeliveries.Claimed delivery, int attempt) {
    Span span = TraceScope.startChildOf(tracer, delivery.traceparent(), "webhook.deliver", Span.Kind.CLIENT);
    return span == null ? null : span.tag("malipo.webhook.delivery", delivery.id()).tag("malipo.event", delivery.eventId())
        .tag("malipo.webhook.attempt", String.valueOf(attempt));
  }

  /** The 2xx status of the POST, or an error ({@link NonSuccessStatus}, timeout, connection). */
  private Mono<Integer> post(WebhookDeliveries.Claimed delivery, Instant now, String traceparent) {
    byte[] body = delivery.payload().getBytes(StandardCharsets.UTF_8);
    String signature = WebhookSignature.header(now.getEpochSecond(), body, delivery.endpoint().signingSecrets(now));
    return client.post()
        .uri(delivery.endpoint().url())
        .contentType(MediaType.APPLICATION_JSON)
        .header(WebhookSignature.HEADER, signature)
        .header(EVENT_ID_HEADER, delivery.eventId())
        .header("User-Agent", "Malipo-Webhooks/1")
        // W3C Trace Context: the merchant's own tracing can join the payment's trace.
        .headers(headers -> {
          if (traceparent != null) {
            headers.set("traceparent", traceparent);
          }
        })
        .bodyValue(body)
        .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value()))
        .timeout(properties.deliveryTimeout())
        .flatMap(code -> code >= 200 && code < 300 ? Mono.just(code) : Mono.error(new NonSuccessStatus(code)));
  }

  private Mono<Void> record(WebhookDeliveries.Claimed delivery, int attempt, Instant started, long startNanos,
      Integer code, String error, boolean succeeded) {
    long latencyMs = Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    long nextDelayMs = succeeded ? 0 : schedule.nextDelayMs(attempt);
    String outcome = succeeded ? "delivered" : nextDelayMs < 0 ? "dead" : "retry";
    meters.counter("malipo.webhooks.attempts", "outcome", outcome).increment();
    return deliveries.recordAttempt(delivery, attempt, started, latencyMs, code, error, succeeded, nextDelayMs);
  }

  private static String describe(Throwable error) {
    if (error instanceof NonSuccessStatus status) {
      return "HTTP " + status.code;
    }
    if (error instanceof java.util.concurrent.TimeoutException) {
      return "timeout";
    }
    // Class and message only: never a URL's query or a header value, which may hold secrets.
    String message = error.getMessage();
    return error.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** A response outside 2xx (including a redirect, which is not followed). */
  static final class NonSuccessStatus extends RuntimeException {
    final int code;

    NonSuccessStatus(int code) {
      super("HTTP " + code, null, false, false);
      this.code = code;
    }
  }
}
