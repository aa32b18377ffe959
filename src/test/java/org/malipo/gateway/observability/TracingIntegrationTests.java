package org.malipo.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.InProcessKafka;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.OtlpReceiver;
import org.malipo.gateway.support.OtlpReceiver.ReceivedSpan;
import org.malipo.gateway.support.TestDatabase;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tracing on (issue 24), exported by OTLP/HTTP to a receiver in this test: a payment's trace holds
 * the HTTP request's span, a span per pipeline stage under it, the rail's HTTP call under
 * {@code payment.rail}, its PostgreSQL statements and Redis commands, and its webhook delivery,
 * continuing the caller's W3C {@code traceparent}; an M-Pesa payment's callback, processed later
 * from the inbox, and that callback's webhook join the same trace; no span carries a card number
 * or a payer's number; a problem answer names its {@code trace_id}. A context of its own (tracing
 * on, every trace sampled), with a small connection pool, closed after the class.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "spring.autoconfigure.exclude=",
    "management.tracing.export.enabled=true",
    "management.tracing.sampling.probability=1.0",
    "management.opentelemetry.tracing.export.schedule-delay=100ms",
    "spring.r2dbc.pool.initial-size=2",
    "spring.r2dbc.pool.max-size=8"})
@AutoConfigureWebTestClient(timeout = "30s")
@ActiveProfiles("test")
// Closed after the class: its background jobs and Kafka consumers (same group as the shared
// context's) must not keep running beside the other integration tests.
@DirtiesContext
// Run in a JVM of its own (pom.xml, surefire execution "tracing"): after this context ran, payment
// requests of the shared context were seen to hang until the in-flight limit (cause not found
// yet; docs/observability.md), so the suite's JVM does not start it.
@EnabledIfSystemProperty(named = "malipo.tracing-tests", matches = "true")
class TracingIntegrationTests {

  private static final OtlpReceiver RECEIVER = new OtlpReceiver();
  /** A merchant's webhook endpoint: the traceparent header of each POST it receives. */
  private static final List<String> WEBHOOK_TRACEPARENTS = new java.util.concurrent.CopyOnWriteArrayList<>();
  private static final com.sun.net.httpserver.HttpServer WEBHOOK_RECEIVER = webhookReceiver();

  private static com.sun.net.httpserver.HttpServer webhookReceiver() {
    try {
      com.sun.net.httpserver.HttpServer server =
          com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/hooks", exchange -> {
        exchange.getRequestBody().readAllBytes();
        String traceparent = exchange.getRequestHeaders().getFirst("traceparent");
        WEBHOOK_TRACEPARENTS.add(traceparent == null ? "" : traceparent);
        exchange.sendResponseHeaders(204, -1);
        exchange.close();
      });
      server.start();
      return server;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
  private static final List<String> STAGES = List.of("validate", "fraud", "idempotency", "rail", "ledger");

  @Autowired WebTestClient web;
  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired org.springframework.context.ApplicationContext context;

  @DynamicPropertySource
  static void infrastructure(DynamicPropertyRegistry registry) {
    registry.add("spring.r2dbc.url", TestDatabase::r2dbcUrl);
    registry.add("spring.flyway.url", TestDatabase::jdbcUrl);
    registry.add("malipo.kafka.bootstrap-servers", InProcessKafka::bootstrapServers);
    registry.add("malipo.redis.key-prefix", () -> IntegrationTest.REDIS_PREFIX);
    registry.add("management.opentelemetry.tracing.export.otlp.endpoint", RECEIVER::endpoint);
  }

  @AfterAll
  static void stopReceiver() {
    RECEIVER.close();
    WEBHOOK_RECEIVER.stop(0);
  }

  private static String newTraceId() {
    byte[] id = new byte[16];
    ThreadLocalRandom.current().nextBytes(id);
    return HexFormat.of().formatHex(id);
  }

  private static String traceparent(String traceId) {
    return "00-" + traceId + "-00f067aa0ba902b7-01";
  }

  /** A merchant whose webhook endpoint (path {@code /hooks/<path>} of the receiver) takes payment.succeeded. */
  private TestMerchant merchantWithWebhook(String path) {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"url\": \"http://127.0.0.1:" + WEBHOOK_RECEIVER.getAddress().getPort()
            + "/hooks/" + path + "\", \"events\": [\"payment.succeeded\"]}")
        .exchange().expectStatus().isCreated();
    return merchant;
  }

  /** The created payment's body, its request sent in the caller's trace {@code traceId}. */
  private byte[] pay(TestMerchant merchant, String traceId, String body) {
    return web.post().uri("/v1/payments")
        .headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .header("traceparent", traceparent(traceId))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchange()
        .expectStatus().isCreated()
        .expectBody().returnResult().getResponseBody();
  }

  @Test
  void aPaymentsTraceHoldsTheRequestEveryStageAndItsWebhookDelivery() throws InterruptedException {
    TestMerchant merchant = merchantWithWebhook("traced");
    String traceId = newTraceId();
    pay(merchant, traceId, """
        {"amount": 1000, "currency": "KES", "reference": "traced-1",
         "payment_method": {"type": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""");

    List<ReceivedSpan> trace = awaitSpans(traceId, spans -> spans.stream().anyMatch(s -> s.parentSpanId().equals("00f067aa0ba902b7"))
        && STAGES.stream().allMatch(stage -> spans.stream().anyMatch(s -> s.name().equals("payment." + stage)))
        && spans.stream().anyMatch(s -> s.name().equals("webhook.deliver"))
        && spans.stream().anyMatch(s -> "acquirer_a".equals(s.attributes().get("peer.service")))
        && spans.stream().anyMatch(s -> "postgresql".equals(s.attributes().get("db.system")))
        && spans.stream().anyMatch(s -> "redis".equals(s.attributes().get("db.system"))));
    ReceivedSpan server = trace.stream().filter(span -> span.parentSpanId().equals("00f067aa0ba902b7"))
        .findFirst().orElseThrow(() -> new AssertionError("no server span under the caller's: " + trace));
    assertThat(server.name()).containsIgnoringCase("post");
    for (String stage : STAGES) {
      ReceivedSpan span = trace.stream().filter(s -> s.name().equals("payment." + stage)).findFirst()
          .orElseThrow(() -> new AssertionError("no span payment." + stage + " in " + trace));
      assertThat(span.traceId()).isEqualTo(traceId);
      assertThat(span.attributes()).containsKey("malipo.outcome");
      // Each stage hangs under the request (directly or through an enclosing stage).
      assertThat(ancestors(span, trace)).contains(server.spanId());
    }
    assertThat(trace.stream().filter(s -> s.name().equals("payment.rail")).findFirst().orElseThrow().attributes())
        .containsEntry("malipo.outcome", "approved");

    // The outbox row, the Kafka record (whose header the webhook recorder stored) and the
    // delivery carry the context: the delivery's span is a child of the stage that wrote the event.
    ReceivedSpan ledger = trace.stream().filter(s -> s.name().equals("payment.ledger")).findFirst().orElseThrow();
    ReceivedSpan delivery = trace.stream().filter(s -> s.name().equals("webhook.deliver")).findFirst()
        .orElseThrow(() -> new AssertionError("no webhook.deliver span in " + trace));
    assertThat(delivery.parentSpanId()).isEqualTo(ledger.spanId());
    assertThat(delivery.attributes()).containsKey("malipo.event");
    assertThat(WEBHOOK_TRACEPARENTS).as("the traceparent the merchant's endpoint received")
        .contains("00-" + traceId + "-" + delivery.spanId() + "-01");

    // The acquirer's HTTP call is a client span of the rail stage, without the path.
    ReceivedSpan rail = trace.stream().filter(s -> s.name().equals("payment.rail")).findFirst().orElseThrow();
    ReceivedSpan call = trace.stream().filter(s -> "acquirer_a".equals(s.attributes().get("peer.service"))).findFirst()
        .orElseThrow(() -> new AssertionError("no span of the acquirer's HTTP call in " + trace));
    assertThat(call.name()).isEqualTo("http post");
    assertThat(call.parentSpanId()).isEqualTo(rail.spanId());
    assertThat(call.attributes()).containsEntry("http.response.status_code", "200").containsKey("server.address");
    // PostgreSQL statements of the request (the first write, in the idempotency stage) and Redis commands.
    ReceivedSpan idempotency = trace.stream().filter(s -> s.name().equals("payment.idempotency")).findFirst().orElseThrow();
    List<ReceivedSpan> statements = trace.stream().filter(s -> "postgresql".equals(s.attributes().get("db.system"))).toList();
    assertThat(statements).allSatisfy(statement -> {
      assertThat(statement.name()).startsWith("postgresql ");
      assertThat(statement.attributes()).containsKeys("db.statement", "db.operation");
      assertThat(ancestors(statement, trace)).contains(server.spanId());
    });
    assertThat(statements).as("the first write's statement, under its stage")
        .anyMatch(statement -> statement.parentSpanId().equals(idempotency.spanId())
            && statement.attributes().get("db.statement").contains("INSERT INTO payments"));
    assertThat(trace.stream().filter(s -> "redis".equals(s.attributes().get("db.system"))))
        .allSatisfy(command -> assertThat(ancestors(command, trace)).contains(server.spanId()));
    assertNoSpanHolds("4242424242424242");
  }

  @Test
  void anMpesaCallbackProcessedLaterAndItsWebhookJoinTheirPaymentsTrace() throws InterruptedException {
    TestMerchant merchant = merchantWithWebhook("mpesa");
    String traceId = newTraceId();
    byte[] created = pay(merchant, traceId, """
        {"amount": 15000, "currency": "KES", "reference": "traced-mpesa",
         "payment_method": {"type": "mobile_money", "operator": "mpesa", "msisdn": "+254708374149"}}""");
    assertThat(json.readTree(created).get("status").asString()).isEqualTo("pending");

    // The sandbox sends the STK callback later; the inbox processor handles it in the payment's trace.
    List<ReceivedSpan> trace = awaitSpans(traceId, spans -> spans.stream().anyMatch(s -> s.name().equals("callback.process"))
        && spans.stream().anyMatch(s -> s.name().equals("webhook.deliver")));
    ReceivedSpan callback = trace.stream().filter(s -> s.name().equals("callback.process")).findFirst()
        .orElseThrow(() -> new AssertionError("no callback.process span in " + trace));
    ReceivedSpan idempotency = trace.stream().filter(s -> s.name().equals("payment.idempotency")).findFirst().orElseThrow();
    assertThat(callback.parentSpanId()).as("the span that recorded the payment").isEqualTo(idempotency.spanId());
    assertThat(callback.attributes()).containsEntry("malipo.rail", "mpesa").containsKey("malipo.inbox.row");
    // Its work: the rail's status query and its statements under it; the succeeded event's webhook after it.
    assertThat(trace).anyMatch(s -> "mpesa".equals(s.attributes().get("peer.service"))
        && s.parentSpanId().equals(callback.spanId()));
    assertThat(trace).anyMatch(s -> "postgresql".equals(s.attributes().get("db.system"))
        && s.parentSpanId().equals(callback.spanId()));
    ReceivedSpan delivery = trace.stream().filter(s -> s.name().equals("webhook.deliver")).findFirst().orElseThrow();
    assertThat(ancestors(delivery, trace)).contains(callback.spanId());
    // The STK push (payment.rail) reached the rail as a span of its own.
    ReceivedSpan rail = trace.stream().filter(s -> s.name().equals("payment.rail")).findFirst().orElseThrow();
    assertThat(trace).anyMatch(s -> "mpesa".equals(s.attributes().get("peer.service")) && s.parentSpanId().equals(rail.spanId()));
    assertNoSpanHolds("254708374149");
    assertNoSpanHolds("708374149");
  }

  @Test
  void aThreeDSecureResultsAuthorizationAndWebhookJoinTheirPaymentsTrace() throws InterruptedException {
    TestMerchant merchant = merchantWithWebhook("three-d-secure");
    String traceId = newTraceId();
    String id = json.readTree(pay(merchant, traceId, """
        {"amount": 4000, "currency": "KES", "reference": "traced-3ds",
         "payment_method": {"type": "card", "number": "4000000000003220", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""))
        .get("id").asString();

    // The customer completes the challenge: the sandbox ACS's 303 to the gateway, then the gateway's
    // 303 back; that request (no traceparent) is a trace of its own, the result's work is in the payment's.
    java.net.URI callback = web.post().uri("/sandbox/acs/" + id).contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .body(org.springframework.web.reactive.function.BodyInserters.fromFormData("result", "authenticated"))
        .exchange().expectStatus().isSeeOther().returnResult(Void.class).getResponseHeaders().getLocation();
    web.get().uri(callback.toString()).exchange().expectStatus().isSeeOther();

    List<ReceivedSpan> trace = awaitSpans(traceId, spans -> spans.stream().anyMatch(s -> s.name().equals("three_d_secure.result"))
        && spans.stream().anyMatch(s -> s.name().equals("webhook.deliver")));
    ReceivedSpan result = trace.stream().filter(s -> s.name().equals("three_d_secure.result")).findFirst()
        .orElseThrow(() -> new AssertionError("no three_d_secure.result span in " + trace));
    ReceivedSpan idempotency = trace.stream().filter(s -> s.name().equals("payment.idempotency")).findFirst().orElseThrow();
    assertThat(result.parentSpanId()).as("the span that recorded the payment").isEqualTo(idempotency.spanId());
    assertThat(result.attributes()).containsEntry("malipo.payment", id).containsEntry("malipo.authentication", "authenticated");
    // The authorization's rail call, its statements and the succeeded event's webhook hang under the result.
    assertThat(trace).anyMatch(s -> "acquirer_a".equals(s.attributes().get("peer.service"))
        && s.parentSpanId().equals(result.spanId()));
    assertThat(trace).anyMatch(s -> "postgresql".equals(s.attributes().get("db.system"))
        && s.parentSpanId().equals(result.spanId()));
    ReceivedSpan delivery = trace.stream().filter(s -> s.name().equals("webhook.deliver")).findFirst().orElseThrow();
    assertThat(ancestors(delivery, trace)).contains(result.spanId());
    assertNoSpanHolds("4000000000003220");
  }

  @Test
  void aReconcilersResolutionJoinsItsPaymentsTrace() throws InterruptedException {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    String traceId = newTraceId();
    String id = json.readTree(pay(merchant, traceId, """
        {"amount": 3000, "currency": "KES", "reference": "traced-timeout",
         "payment_method": {"type": "card", "number": "4000000000003220", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""))
        .get("id").asString();
    // The customer never comes back: past malipo.payments.authentication-timeout, the reconciler fails it.
    db.sql("UPDATE payments SET updated_at = now() - interval '10 minutes 1 second' WHERE id = :id").bind("id", id)
        .then().block(Duration.ofSeconds(10));
    org.malipo.gateway.callback.SimulationCallbacks.reconcile(context).block(Duration.ofSeconds(30));

    // The background reconciler may run a pass of its own at the same time: the resolution that
    // applied is the one whose span the payment.failed event carries.
    String eventContext = null;
    for (int i = 0; i < 100 && eventContext == null; i++) {
      eventContext = db.sql("SELECT traceparent FROM outbox WHERE aggregate_id = :id AND type = 'payment.failed'")
          .bind("id", id).map(row -> row.get(0, String.class)).one().blockOptional(Duration.ofSeconds(10)).orElse(null);
      if (eventContext == null) {
        Thread.sleep(100);
      }
    }
    assertThat(eventContext).as("the failed event's trace context").startsWith("00-" + traceId + "-").endsWith("-01");
    String resolveSpanId = eventContext.split("-")[2];
    List<ReceivedSpan> trace = awaitSpans(traceId, spans -> spans.stream().anyMatch(s -> s.spanId().equals(resolveSpanId)));
    ReceivedSpan resolve = trace.stream().filter(s -> s.spanId().equals(resolveSpanId)).findFirst().orElseThrow();
    assertThat(resolve.name()).isEqualTo("reconciler.resolve");
    ReceivedSpan idempotency = trace.stream().filter(s -> s.name().equals("payment.idempotency")).findFirst().orElseThrow();
    assertThat(resolve.parentSpanId()).as("the span that recorded the payment").isEqualTo(idempotency.spanId());
    assertThat(resolve.attributes()).containsEntry("malipo.payment", id).containsEntry("malipo.reconciler.case", "requires_action");
    // Its outcome write (the payment.failed event with it) under the resolution.
    assertThat(trace).anyMatch(s -> "postgresql".equals(s.attributes().get("db.system"))
        && s.parentSpanId().equals(resolve.spanId()));
    assertNoSpanHolds("4000000000003220");
  }

  /** No attribute of any span received so far contains {@code secret} (a card or payer number). */
  private static void assertNoSpanHolds(String secret) {
    assertThat(RECEIVER.spans()).as("spans holding " + secret)
        .noneMatch(span -> span.name().contains(secret)
            || span.attributes().values().stream().anyMatch(value -> value.contains(secret)));
  }

  @Test
  void aProblemAnswerNamesItsTraceId() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    String traceId = newTraceId();
    byte[] body = web.post().uri("/v1/payments")
        .headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .header("traceparent", traceparent(traceId))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": -5, \"currency\": \"KES\"}")
        .exchange()
        .expectStatus().isBadRequest()
        .expectBody().returnResult().getResponseBody();
    JsonNode problem = json.readTree(body);
    assertThat(problem.get("trace_id").asString()).isEqualTo(traceId);
    assertThat(problem.get("request_id").asString()).startsWith("req_");
  }

  private static List<String> ancestors(ReceivedSpan span, List<ReceivedSpan> trace) {
    List<String> out = new java.util.ArrayList<>();
    String parent = span.parentSpanId();
    while (!parent.isEmpty() && out.size() < 20) {
      out.add(parent);
      String current = parent;
      parent = trace.stream().filter(s -> s.spanId().equals(current)).map(ReceivedSpan::parentSpanId)
          .findFirst().orElse("");
    }
    return out;
  }

  /** The spans of the trace once {@code complete} holds for them (at most 15 s). */
  private static List<ReceivedSpan> awaitSpans(String traceId, Predicate<List<ReceivedSpan>> complete)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    List<ReceivedSpan> trace;
    do {
      Thread.sleep(100);
      trace = RECEIVER.spans().stream().filter(span -> span.traceId().equals(traceId)).toList();
    } while (!complete.test(trace) && System.nanoTime() < deadline);
    return trace;
  }
}
