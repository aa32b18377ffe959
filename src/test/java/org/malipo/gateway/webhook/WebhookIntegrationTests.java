package org.malipo.gateway.webhook;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.status;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.EventCatalogue;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Webhooks end to end: endpoints over the API, card payments, the Kafka consumer, the dispatcher
 * and a WireMock receiver on 127.0.0.1 that checks signature, timestamp tolerance and content.
 */
class WebhookIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final Duration DELIVERY = Duration.ofSeconds(30);
  private static WireMockServer receiver;

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;

  private TestMerchant merchant;

  @BeforeAll
  static void startReceiver() {
    receiver = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().containerThreads(20));
    receiver.start();
  }

  @AfterAll
  static void stopReceiver() {
    receiver.stop();
  }

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
  }

  private String hookPath() {
    return "/hooks/" + UUID.randomUUID();
  }

  private JsonNode register(TestMerchant owner, String path, String... events) {
    String body = json.writeValueAsString(Map.of("url", "http://127.0.0.1:" + receiver.port() + path, "events", List.of(events)));
    byte[] answer = web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(owner.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(answer);
  }

  private String pay(TestMerchant payer, String number) {
    byte[] body = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(payer.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 2500, "currency": "KES", "reference": "order-wh",
             "payment_method": {"type": "card", "number": "%s", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""
            .formatted(number))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(body).get("id").asString();
  }

  private static List<LoggedRequest> received(String path) {
    return receiver.findAll(postRequestedFor(urlEqualTo(path)));
  }

  private static <T> T await(Supplier<T> probe, java.util.function.Predicate<T> done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T value = probe.get();
    while (!done.test(value) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(100); // JUnit thread, not an event loop
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      value = probe.get();
    }
    return value;
  }

  private Map<String, Object> delivery(String endpointId) {
    return db.sql("SELECT status, attempts FROM webhook_deliveries WHERE endpoint_id = :id AND NOT manual")
        .bind("id", endpointId).fetch().one().block(DB);
  }

  private void assertSignedBy(LoggedRequest request, String secret) {
    String header = request.getHeader(WebhookSignature.HEADER);
    assertThat(WebhookSignature.verify(header, request.getBody(), secret, Instant.now(), WebhookSignature.DEFAULT_TOLERANCE))
        .as(header).isTrue();
  }

  @Test
  void registeredEndpointReceivesASignedPaymentSucceededEventOnce() {
    String path = hookPath();
    receiver.stubFor(post(urlEqualTo(path)).willReturn(ok()));
    JsonNode endpoint = register(merchant, path, "payment.succeeded");
    String secret = endpoint.get("secret").asString();
    String paymentId = pay(merchant, "4242424242424242");

    List<LoggedRequest> requests = await(() -> received(path), list -> !list.isEmpty(), DELIVERY);
    assertThat(requests).hasSize(1);
    LoggedRequest request = requests.get(0);
    assertSignedBy(request, secret);
    assertThat(WebhookSignature.verify(request.getHeader(WebhookSignature.HEADER), request.getBody(), "whsec_wrong",
        Instant.now(), WebhookSignature.DEFAULT_TOLERANCE)).isFalse();
    assertThat(WebhookSignature.verify(request.getHeader(WebhookSignature.HEADER), request.getBody(), secret,
        Instant.now().plusSeconds(600), WebhookSignature.DEFAULT_TOLERANCE)).as("outside the tolerance").isFalse();
    JsonNode event = json.readTree(request.getBody());
    assertThat(request.getHeader("Malipo-Event-Id")).isEqualTo(event.get("id").asString());
    assertThat(request.getHeader("Content-Type")).startsWith("application/json");
    assertThat(event.get("type").asString()).isEqualTo("payment.succeeded");
    assertThat(event.get("sequence").asLong()).isEqualTo(2);
    assertThat(event.get("data").get("id").asString()).isEqualTo(paymentId);
    assertThat(event.get("data").get("amount").asLong()).isEqualTo(2_500);
    assertThat(request.getBodyAsString()).doesNotContain("4242424242424242");
    assertThat(EventCatalogue.load().violations(request.getBodyAsString())).isEmpty();

    String endpointId = endpoint.get("id").asString();
    Map<String, Object> row = await(() -> delivery(endpointId), r -> "delivered".equals(r.get("status")), DB);
    assertThat(row).containsEntry("status", "delivered").containsEntry("attempts", 1);
    web.get().uri("/v1/webhook_endpoints/" + endpointId + "/deliveries").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.data.length()").isEqualTo(1)
        .jsonPath("$.data[0].event_id").isEqualTo(event.get("id").asString())
        .jsonPath("$.data[0].status").isEqualTo("delivered")
        .jsonPath("$.data[0].attempts").isEqualTo(1);
  }

  @Test
  void manualCaptureEventsAreDeliveredSignedToTheirSubscribers() {
    String path = hookPath();
    receiver.stubFor(post(urlEqualTo(path)).willReturn(ok()));
    String secret = register(merchant, path, "payment.requires_capture", "payment.captured", "payment.canceled")
        .get("secret").asString();
    String captured = held(3_000);
    web.post().uri("/v1/payments/" + captured + "/capture").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 1200}").exchange().expectStatus().isOk();
    String canceled = held(700);
    web.post().uri("/v1/payments/" + canceled + "/cancel").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{}").exchange().expectStatus().isOk();

    List<LoggedRequest> requests = await(() -> received(path), list -> list.size() >= 4, DELIVERY);
    assertThat(requests).hasSize(4);
    Map<String, JsonNode> byType = new java.util.HashMap<>();
    for (LoggedRequest request : requests) {
      assertSignedBy(request, secret);
      assertThat(EventCatalogue.load().violations(request.getBodyAsString())).isEmpty();
      JsonNode event = json.readTree(request.getBody());
      byType.put(event.get("type").asString() + ":" + event.get("data").get("id").asString(), event);
    }
    assertThat(byType).containsKeys("payment.requires_capture:" + captured, "payment.captured:" + captured,
        "payment.requires_capture:" + canceled, "payment.canceled:" + canceled);
    assertThat(byType.get("payment.captured:" + captured).get("data").get("amount_captured").asLong()).isEqualTo(1_200);
  }

  private String held(long amount) {
    byte[] body = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "KES", "capture_method": "manual",
             "payment_method": {"type": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""
            .formatted(amount))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(body).get("id").asString();
  }

  @Test
  void receiverThatFailsTwiceGetsTheEventDeliveredOnTheThirdAttempt() {
    String path = hookPath();
    String scenario = "flaky-" + path;
    receiver.stubFor(post(urlEqualTo(path)).inScenario(scenario).whenScenarioStateIs(STARTED)
        .willReturn(status(500)).willSetStateTo("failed once"));
    receiver.stubFor(post(urlEqualTo(path)).inScenario(scenario).whenScenarioStateIs("failed once")
        .willReturn(status(302).withHeader("Location", "http://127.0.0.1:1/elsewhere")).willSetStateTo("failed twice"));
    receiver.stubFor(post(urlEqualTo(path)).inScenario(scenario).whenScenarioStateIs("failed twice")
        .willReturn(ok()));
    JsonNode endpoint = register(merchant, path, "payment.succeeded");
    String endpointId = endpoint.get("id").asString();
    pay(merchant, "4242424242424242");

    Map<String, Object> row = await(() -> delivery(endpointId), r -> r != null && "delivered".equals(r.get("status")), DELIVERY);
    assertThat(row).containsEntry("status", "delivered").containsEntry("attempts", 3);
    List<String> attempts = db.sql("""
            SELECT a.attempt || ':' || a.status_code || ':' || a.succeeded FROM webhook_attempts a
            JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = :id ORDER BY a.attempt""")
        .bind("id", endpointId).map(r -> r.get(0, String.class)).all().collectList().block(DB);
    assertThat(attempts).containsExactly("1:500:false", "2:302:false", "3:200:true");
    List<LoggedRequest> requests = received(path);
    assertThat(requests).hasSize(3);
    assertThat(requests).extracting(r -> r.getHeader("Malipo-Event-Id")).containsOnly(requests.get(0).getHeader("Malipo-Event-Id"));
    requests.forEach(r -> assertSignedBy(r, endpoint.get("secret").asString()));
  }

  @Test
  void hangingReceiverDoesNotDelayAnotherMerchantsDeliveries() {
    String hangingPath = hookPath();
    receiver.stubFor(post(urlEqualTo(hangingPath)).willReturn(ok().withFixedDelay(15_000)));
    String hangingEndpoint = register(merchant, hangingPath, "payment.succeeded").get("id").asString();
    pay(merchant, "4242424242424242");
    await(() -> db.sql("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = :id AND next_attempt_at > now()")
        .bind("id", hangingEndpoint).map(r -> r.get(0, Long.class)).one().block(DB), n -> n == 1, DELIVERY);

    TestMerchant other = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    String path = hookPath();
    receiver.stubFor(post(urlEqualTo(path)).willReturn(ok()));
    register(other, path, "payment.succeeded");
    long start = System.nanoTime();
    pay(other, "4242424242424242");
    List<LoggedRequest> requests = await(() -> received(path), list -> !list.isEmpty(), DELIVERY);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(requests).hasSize(1);
    assertThat(delivery(hangingEndpoint)).as("the hanging endpoint's first attempt is still in flight")
        .containsEntry("status", "pending").containsEntry("attempts", 0);
    assertThat(took).isLessThan(Duration.ofSeconds(8));
  }

  @Test
  void rotatedSecretSignsAlongsideTheNewOneAndEventsCanBeListedAndRedelivered() {
    String path = hookPath();
    receiver.stubFor(post(urlEqualTo(path)).willReturn(ok()));
    JsonNode endpoint = register(merchant, path, "payment.failed");
    String oldSecret = endpoint.get("secret").asString();
    String endpointId = endpoint.get("id").asString();
    byte[] rotated = web.post().uri("/v1/webhook_endpoints/" + endpointId + "/rotate_secret")
        .headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody().returnResult().getResponseBody();
    String newSecret = json.readTree(rotated).get("secret").asString();
    assertThat(newSecret).startsWith("whsec_").isNotEqualTo(oldSecret);

    pay(merchant, "4000000000000002");
    LoggedRequest request = await(() -> received(path), list -> !list.isEmpty(), DELIVERY).get(0);
    assertThat(request.getHeader(WebhookSignature.HEADER)).matches("t=\\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}");
    assertSignedBy(request, newSecret);
    assertSignedBy(request, oldSecret);
    String eventId = request.getHeader("Malipo-Event-Id");

    web.get().uri("/v1/events?type=payment.failed&limit=5").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.data.length()").isEqualTo(1)
        .jsonPath("$.data[0].id").isEqualTo(eventId)
        .jsonPath("$.has_more").isEqualTo(false);
    web.post().uri("/v1/events/" + eventId + "/redeliver").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isAccepted().expectBody().jsonPath("$.data.length()").isEqualTo(1);
    List<LoggedRequest> both = await(() -> received(path), list -> list.size() >= 2, DELIVERY);
    assertThat(both).hasSize(2);
    assertThat(both.get(1).getHeader("Malipo-Event-Id")).isEqualTo(eventId);
    assertThat(both.get(1).getBodyAsString()).isEqualTo(both.get(0).getBodyAsString());

    TestMerchant other = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    web.post().uri("/v1/events/" + eventId + "/redeliver").headers(h -> h.setBearerAuth(other.token()))
        .exchange().expectStatus().isNotFound();
    web.get().uri("/v1/events").headers(h -> h.setBearerAuth(other.token()))
        .exchange().expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(0);
  }

  @Test
  void endpointsAreReadListedDeletedPerMerchantAndShowTheSecretOnlyOnce() {
    JsonNode created = register(merchant, hookPath(), "payment.succeeded", "payment.failed");
    String id = created.get("id").asString();
    assertThat(id).startsWith("whe_");
    assertThat(created.get("secret").asString()).startsWith("whsec_");
    assertThat(created.get("enabled").asBoolean()).isTrue();
    assertThat(created.get("created_at").asString()).isNotBlank();

    web.get().uri("/v1/webhook_endpoints/" + id).headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody()
        .jsonPath("$.id").isEqualTo(id)
        .jsonPath("$.events.length()").isEqualTo(2)
        .jsonPath("$.secret").doesNotExist();
    web.get().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody().jsonPath("$.data[0].id").isEqualTo(id).jsonPath("$.data[0].secret").doesNotExist();

    TestMerchant other = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    web.get().uri("/v1/webhook_endpoints/" + id).headers(h -> h.setBearerAuth(other.token())).exchange()
        .expectStatus().isNotFound().expectBody().jsonPath("$.code").isEqualTo("not_found");
    web.delete().uri("/v1/webhook_endpoints/" + id).headers(h -> h.setBearerAuth(other.token())).exchange()
        .expectStatus().isNotFound();
    web.post().uri("/v1/webhook_endpoints/" + id + "/rotate_secret").headers(h -> h.setBearerAuth(other.token())).exchange()
        .expectStatus().isNotFound();
    web.get().uri("/v1/webhook_endpoints/" + id + "/deliveries").headers(h -> h.setBearerAuth(other.token())).exchange()
        .expectStatus().isNotFound();

    web.delete().uri("/v1/webhook_endpoints/" + id).headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody().jsonPath("$.deleted").isEqualTo(true);
    web.get().uri("/v1/webhook_endpoints/" + id).headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isNotFound();
  }

  @Test
  void badEndpointsAndMissingScopesAreRefusedAndLeaveNothing() {
    Map<String, String> refused = Map.of(
        "{\"url\": \"http://169.254.169.254/latest/meta-data\", \"events\": [\"payment.succeeded\"]}", "url",
        "{\"url\": \"ftp://example.com/hook\", \"events\": [\"payment.succeeded\"]}", "url",
        "{\"url\": \"https://example.com/hook\", \"events\": [\"payment.teleported\"]}", "events[0]",
        "{\"url\": \"https://example.com/hook\", \"events\": []}", "events",
        "{\"url\": \"https://example.com/hook\", \"events\": [\"payment.succeeded\"], \"secret\": \"mine\"}", "secret");
    refused.forEach((body, param) -> web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
        .expectStatus().isBadRequest().expectBody().jsonPath("$.param").isEqualTo(param));

    TestMerchant reader = TestMerchants.create(db, clients, web, "payments:read");
    web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(reader.token()))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"url\": \"https://example.com/hook\", \"events\": [\"payment.succeeded\"]}").exchange()
        .expectStatus().isForbidden().expectBody().jsonPath("$.code").isEqualTo("insufficient_scope");

    Long stored = db.sql("SELECT count(*) FROM webhook_endpoints WHERE merchant_id IN (:a, :b)")
        .bind("a", merchant.merchantId()).bind("b", reader.merchantId()).map(r -> r.get(0, Long.class)).one().block(DB);
    assertThat(stored).isZero();
  }
}
