package org.malipo.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.events.EventConsumer.ConsumedEvent;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * The webhook fan-out of one consumed batch (DeliveryRecorder.handle): the endpoints of all the
 * batch's merchants are read once, and each event still reaches exactly the endpoints of its own
 * merchant that subscribed to its type and existed when it occurred (INVARIANTS 13, 18).
 */
class DeliveryRecorderBatchIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  // Nothing listens there: the dispatcher's attempts fail and are rescheduled, which is not what
  // this test looks at (it counts recorded deliveries, not sent ones).
  private static final String CLOSED_PORT_URL = "http://127.0.0.1:9/hooks/";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired DeliveryRecorder recorder;

  private TestMerchant first;
  private TestMerchant second;
  private TestMerchant withoutEndpoints;

  @BeforeEach
  void merchants() {
    first = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    second = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    withoutEndpoints = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
  }

  private String register(TestMerchant owner, String... events) {
    String body = json.writeValueAsString(Map.of("url", CLOSED_PORT_URL + UUID.randomUUID(), "events", List.of(events)));
    byte[] answer = web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(owner.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(answer).get("id").asString();
  }

  private ConsumedEvent event(TestMerchant merchant, String type, Instant occurredAt) {
    String eventId = "evt_test" + UUID.randomUUID().toString().replace("-", "");
    String payload = json.writeValueAsString(Map.of("id", eventId, "type", type, "merchant_id", merchant.merchantId(),
        "occurred_at", occurredAt.toString(), "sequence", 1, "data", Map.of("id", "pay_test")));
    return new ConsumedEvent("pay_test", eventId, payload);
  }

  private List<String> recorded(List<ConsumedEvent> batch) {
    return db.sql("""
            SELECT endpoint_id || ' ' || event_id AS pair FROM webhook_deliveries
            WHERE event_id = ANY(:events) AND NOT manual ORDER BY 1""")
        .bind("events", batch.stream().map(ConsumedEvent::eventId).toArray(String[]::new))
        .map(row -> row.get("pair", String.class))
        .all().collectList().block(DB);
  }

  @Test
  void oneBatchReachesEachMerchantsSubscribedEndpointsOnlyAndOnlyOnce() {
    String firstSucceeded = register(first, "payment.succeeded");
    String firstFailed = register(first, "payment.failed");
    String secondBoth = register(second, "payment.succeeded", "payment.failed");
    Instant now = Instant.now().plus(1, ChronoUnit.SECONDS);

    ConsumedEvent firstSuccess = event(first, "payment.succeeded", now);
    ConsumedEvent firstFailure = event(first, "payment.failed", now);
    ConsumedEvent secondSuccess = event(second, "payment.succeeded", now);
    // Before any of the endpoints existed: nobody was listening.
    ConsumedEvent secondOld = event(second, "payment.succeeded", now.minus(1, ChronoUnit.HOURS));
    ConsumedEvent secondCreated = event(second, "payment.created", now);
    ConsumedEvent unheard = event(withoutEndpoints, "payment.succeeded", now);
    List<ConsumedEvent> batch = List.of(firstSuccess, firstFailure, secondSuccess, secondOld, secondCreated, unheard);

    recorder.handle(batch).block(DB);

    List<String> expected = List.of(
        firstSucceeded + " " + firstSuccess.eventId(),
        firstFailed + " " + firstFailure.eventId(),
        secondBoth + " " + secondSuccess.eventId());
    assertThat(recorded(batch)).containsExactlyInAnyOrderElementsOf(expected);

    // Kafka may hand the same batch over again (at-least-once): no second delivery.
    recorder.handle(batch).block(DB);
    assertThat(recorded(batch)).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void batchWithoutListeningEndpointsRecordsNothing() {
    List<ConsumedEvent> batch = List.of(event(withoutEndpoints, "payment.succeeded", Instant.now()),
        event(withoutEndpoints, "payment.failed", Instant.now()));

    recorder.handle(batch).block(DB);

    assertThat(recorded(batch)).isEmpty();
  }
}
