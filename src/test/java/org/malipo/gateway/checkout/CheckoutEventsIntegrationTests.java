package org.malipo.gateway.checkout;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.auth.PublishableKeys;
import org.malipo.gateway.support.EventCatalogue;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.PaymentEvents;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code checkout.session.completed} and {@code checkout.session.expired} (issue 19) go the way of
 * every event: outbox, Kafka (matching contracts/asyncapi.yaml, keyed by the session id) and a
 * signed webhook to the endpoints subscribed to them.
 */
class CheckoutEventsIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static WireMockServer receiver;

  @Autowired private DatabaseClient db;
  @Autowired private ApiClients clients;
  @Autowired private PublishableKeys publishableKeys;
  @Autowired private JsonMapper json;

  @BeforeAll
  static void startReceiver() {
    receiver = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().containerThreads(10));
    receiver.start();
  }

  @AfterAll
  static void stopReceiver() {
    receiver.stop();
  }

  @Test
  void completedAndExpiredSessionsArePublishedAndDeliveredToSubscribedEndpoints() throws InterruptedException {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    String pk = publishableKeys.create(merchant.merchantId(), false).block(DB);
    String path = "/hooks/" + UUID.randomUUID();
    receiver.stubFor(post(urlEqualTo(path)).willReturn(ok()));
    web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(json.writeValueAsString(Map.of("url", "http://127.0.0.1:" + receiver.port() + path,
            "events", List.of("checkout.session.completed", "checkout.session.expired"))))
        .exchange().expectStatus().isCreated();

    JsonNode paid = session(merchant);
    web.post().uri("/v1/checkout_sessions/" + paid.get("id").asString() + "/confirm").headers(h -> h.setBearerAuth(pk))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"client_secret\": \"" + paid.get("client_secret").asString() + "\", \"payment_method\": {\"type\":"
            + " \"card\", \"number\": \"4242424242424242\", \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}}")
        .exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("complete");
    JsonNode dropped = session(merchant);
    web.post().uri("/v1/checkout_sessions/" + dropped.get("id").asString() + "/expire")
        .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk();

    EventCatalogue catalogue = EventCatalogue.load();
    for (Map.Entry<String, String> expected : Map.of(paid.get("id").asString(), "checkout.session.completed",
        dropped.get("id").asString(), "checkout.session.expired").entrySet()) {
      ConsumerRecord<String, String> record = PaymentEvents.await(catalogue.channelAddress(), expected.getKey(),
          expected.getValue(), Duration.ofSeconds(20)).orElseThrow(() -> new AssertionError("no " + expected));
      assertThat(catalogue.violations(record.value())).as(record.value()).isEmpty();
      JsonNode event = json.readTree(record.value());
      assertThat(event.get("livemode").asBoolean()).isFalse();
      assertThat(event.at("/data/id").asString()).isEqualTo(expected.getKey());
      assertThat(record.value()).as("events never carry the client secret").doesNotContain("_secret_");
    }

    List<LoggedRequest> deliveries = List.of();
    for (int i = 0; i < 200 && deliveries.size() < 2; i++) {
      Thread.sleep(100); // JUnit thread, not an event loop
      deliveries = receiver.findAll(postRequestedFor(urlEqualTo(path)));
    }
    assertThat(deliveries).hasSize(2);
    assertThat(deliveries).allSatisfy(request -> assertThat(request.getHeader("Malipo-Signature")).startsWith("t="));
    assertThat(deliveries).allSatisfy(request -> assertThat(request.getBodyAsString()).doesNotContain("_secret_"));
    assertThat(deliveries.stream().map(request -> json.readTree(request.getBodyAsString()).get("type").asString()))
        .containsExactlyInAnyOrder("checkout.session.completed", "checkout.session.expired");
  }

  private JsonNode session(TestMerchant merchant) {
    return json.readTree(web.post().uri("/v1/checkout_sessions").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 3300, \"currency\": \"KES\"}")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody());
  }
}
