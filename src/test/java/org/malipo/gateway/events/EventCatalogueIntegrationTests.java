package org.malipo.gateway.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
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
 * Every event the gateway emits matches {@code contracts/asyncapi.yaml}: the events of the
 * payments made here, read back from Kafka, and every outbox row that the integration tests of
 * this JVM have written so far (they share one database). Each payment's events are numbered
 * 1, 2, … in commit order.
 */
class EventCatalogueIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;

  private String pay(TestMerchant merchant, String number) {
    byte[] body = web.post().uri("/v1/payments")
        .headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 1550, "currency": "KES", "reference": "order-7", "metadata": {"cart": "c-7"},
             "payment_method": {"type": "card", "number": "%s", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""
            .formatted(number))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(body).get("id").asString();
  }

  @Test
  void everyEmittedEventMatchesTheCatalogueAndIsNumberedPerPayment() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    String succeeded = pay(merchant, "4242424242424242");
    String declined = pay(merchant, "4000000000000002");
    String blocked = pay(merchant, "4100000000000019");
    EventCatalogue catalogue = EventCatalogue.load();

    for (Map.Entry<String, String> expected : Map.of(succeeded, "payment.succeeded", declined, "payment.failed",
        blocked, "payment.failed").entrySet()) {
      ConsumerRecord<String, String> record = PaymentEvents.await(catalogue.channelAddress(), expected.getKey(),
          expected.getValue(), Duration.ofSeconds(20)).orElseThrow(() -> new AssertionError("no " + expected));
      assertThat(catalogue.violations(record.value())).as(record.value()).isEmpty();
      JsonNode event = json.readTree(record.value());
      assertThat(event.get("sequence").asLong()).isEqualTo(2);
    }

    List<String> sequences = db.sql("SELECT type || ':' || sequence FROM outbox WHERE aggregate_id = :id ORDER BY id")
        .bind("id", succeeded).map(row -> row.get(0, String.class)).all().collectList().block(DB);
    assertThat(sequences).containsExactly("payment.created:1", "payment.succeeded:2");

    List<String> everyPayload = db.sql("SELECT payload FROM outbox ORDER BY id")
        .map(row -> row.get(0, String.class)).all().collectList().block(DB);
    assertThat(everyPayload).hasSizeGreaterThanOrEqualTo(6);
    assertThat(everyPayload).allSatisfy(payload -> assertThat(catalogue.violations(payload)).as(payload).isEmpty());
  }

  @Test
  void manualCaptureEventsMatchTheCatalogue() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    EventCatalogue catalogue = EventCatalogue.load();
    String captured = held(merchant, 4_000);
    web.post().uri("/v1/payments/" + captured + "/capture").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 2500}").exchange().expectStatus().isOk();
    String canceled = held(merchant, 1_000);
    web.post().uri("/v1/payments/" + canceled + "/cancel").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{}").exchange().expectStatus().isOk();

    for (String[] expected : new String[][] {{captured, "payment.requires_capture", "2"}, {captured, "payment.captured", "3"},
        {canceled, "payment.canceled", "3"}}) {
      ConsumerRecord<String, String> record = PaymentEvents.await(catalogue.channelAddress(), expected[0], expected[1],
          Duration.ofSeconds(20)).orElseThrow(() -> new AssertionError("no " + String.join(" ", expected)));
      assertThat(catalogue.violations(record.value())).as(record.value()).isEmpty();
      JsonNode event = json.readTree(record.value());
      assertThat(event.get("sequence").asLong()).isEqualTo(Long.parseLong(expected[2]));
      if (expected[1].equals("payment.captured")) {
        assertThat(event.get("data").get("amount_captured").asLong()).isEqualTo(2_500);
      }
    }
  }

  @Test
  void threeDSecureEventsMatchTheCatalogue() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    EventCatalogue catalogue = EventCatalogue.load();
    byte[] body = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 3000, "currency": "KES", "return_url": "https://shop.example/back",
             "payment_method": {"type": "card", "number": "4000000000003220", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    String id = json.readTree(body).get("id").asString();

    ConsumerRecord<String, String> record = PaymentEvents.await(catalogue.channelAddress(), id, "payment.requires_action",
        Duration.ofSeconds(20)).orElseThrow(() -> new AssertionError("no payment.requires_action for " + id));
    assertThat(catalogue.violations(record.value())).as(record.value()).isEmpty();
    JsonNode event = json.readTree(record.value());
    assertThat(event.get("sequence").asLong()).isEqualTo(2);
    assertThat(event.get("data").get("next_action").get("redirect_to_url").get("return_url").asString())
        .isEqualTo("https://shop.example/back");
    assertThat(record.value()).doesNotContain("4000000000003220");
  }

  private String held(TestMerchant merchant, long amount) {
    byte[] body = web.post().uri("/v1/payments")
        .headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "KES", "capture_method": "manual",
             "payment_method": {"type": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""
            .formatted(amount))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(body).get("id").asString();
  }
}
