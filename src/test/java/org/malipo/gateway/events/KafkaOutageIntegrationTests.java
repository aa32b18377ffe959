package org.malipo.gateway.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.ProxiedInstanceTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.ProxiedInstance;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * Kafka goes away under one gateway instance ({@link ProxiedInstance}: its own broker, reached
 * only through a proxy the test cuts) and comes back. The shared broker of the suite is never
 * touched. Payments do not depend on Kafka: the outbox holds their events until the relay can
 * publish them.
 */
class KafkaOutageIntegrationTests extends ProxiedInstanceTest {

  private static final int PAYMENTS = 4;
  private static final Duration PROMPTLY = Duration.ofMillis(2_500);
  /**
   * The relay's pass in progress gives up after the producer's delivery timeout (15 s), then the
   * next one publishes; usually within ~20 s. One full-suite run on a busy 2-core machine took
   * longer than 45 s (not yet explained: the gateway log was not kept): the bound is on
   * "published once, eventually", so it leaves room for two failed passes and the reconnect.
   */
  private static final Duration REPUBLISHED = Duration.ofSeconds(90);

  @Test
  void paymentsSucceedAndEveryEventIsPublishedOnceWhenKafkaReturns() {
    gateway.kafka().cut();

    List<String> paymentIds = new ArrayList<>();
    for (int i = 0; i < PAYMENTS; i++) {
      long started = System.nanoTime();
      JsonNode payment = pay().expectStatus().isCreated().expectBody(JsonNode.class).returnResult().getResponseBody();
      assertThat(Duration.ofNanos(System.nanoTime() - started)).as("a payment does not wait for Kafka").isLessThan(PROMPTLY);
      assertThat(payment.get("status").asString()).isEqualTo("succeeded");
      paymentIds.add(payment.get("id").asString());
    }
    // Readiness is PostgreSQL's: without Kafka the instance still takes payments (ADR 0043).
    client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
    sleep(Duration.ofSeconds(1)); // relay ticks come and go: nothing can leave
    assertThat(unpublished(paymentIds)).as("events held in the outbox while Kafka is away").isEqualTo(2L * PAYMENTS);

    gateway.kafka().restore();
    long deadline = System.nanoTime() + REPUBLISHED.toNanos();
    while (unpublished(paymentIds) > 0) {
      assertThat(System.nanoTime()).as("outbox drained within " + REPUBLISHED + " of Kafka's return").isLessThan(deadline);
      sleep(Duration.ofMillis(250));
    }

    Map<String, List<ConsumerRecord<String, String>>> events = readTopic(paymentIds, 2 * PAYMENTS);
    for (String id : paymentIds) {
      List<ConsumerRecord<String, String>> ofPayment = events.getOrDefault(id, List.of());
      assertThat(ofPayment).extracting(r -> header(r, "event_type")).as("events of %s, in partition order", id)
          .containsExactly("payment.created", "payment.succeeded");
      assertThat(ofPayment).extracting(r -> header(r, "event_id")).as("event ids of %s", id).doesNotHaveDuplicates();
    }
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  private WebTestClient.ResponseSpec pay() {
    return client.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 3300, "currency": "KES", "payment_method": {"type": "card", "number": "5555555555554444",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange();
  }

  private long unpublished(List<String> paymentIds) {
    return db.sql("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND aggregate_id = ANY(:ids)")
        .bind("ids", paymentIds.toArray(String[]::new))
        .map(row -> row.get("n", Long.class)).one().block(Duration.ofSeconds(10));
  }

  /** Every record of these payments on the instance's broker, from the start, by payment id in partition order. */
  private Map<String, List<ConsumerRecord<String, String>>> readTopic(List<String> paymentIds, int expected) {
    Map<String, Object> config = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, gateway.kafkaBootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    Map<String, List<ConsumerRecord<String, String>>> byPayment = new LinkedHashMap<>();
    paymentIds.forEach(id -> byPayment.put(id, new ArrayList<>()));
    int seen = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    // Then a few more polls: a duplicate would arrive after the expected count.
    int extraPolls = 5;
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
      consumer.subscribe(List.of(gateway.bean(KafkaProperties.class).topic()));
      while (System.nanoTime() < deadline && (seen < expected || extraPolls-- > 0)) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(300))) {
          List<ConsumerRecord<String, String>> list = byPayment.get(record.key());
          if (list != null) {
            list.add(record);
            seen++;
          }
        }
      }
    }
    return new HashMap<>(byPayment);
  }

  private static String header(ConsumerRecord<String, String> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
