package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.ProxiedInstanceTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.ProxiedInstance;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * A card attempt whose outcome is unknown (the network between the gateway and the sandbox
 * acquirer loses the answer, or the request, and the 1 s call timeout fires) leaves the payment
 * {@code processing}; the reconciler asks the acquirer by the attempt id and settles it once
 * (docs/adr/0042-unknown-card-attempts.md). The acquirer is the real in-process sandbox behind a
 * proxy ({@link ProxiedInstance#acquirer()}).
 */
class UnknownCardAttemptIntegrationTests extends ProxiedInstanceTest {

  private static final Duration RESOLVED = Duration.ofSeconds(20);

  @Test
  void aPaymentWhoseApprovalWasLostSucceedsThroughTheStatusQueryWithOneCapture() {
    String key = UUID.randomUUID().toString();
    gateway.acquirer().loseAnswers();
    JsonNode first = pay(key, "4012888888881881").expectStatus().isCreated()
        .expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(first.get("status").asString()).as("charged or not, nobody knows yet").isEqualTo("processing");
    gateway.acquirer().restore();

    JsonNode resolved = awaitFinal(first.get("id").asString());
    assertThat(resolved.get("status").asString()).isEqualTo("succeeded");
    assertThat(resolved.get("provider").asString()).isEqualTo("acquirer_a");
    assertThat(resolved.get("attempts").asInt()).isEqualTo(1);

    List<Map<String, Object>> attempts = attempts(first.get("id").asString());
    assertThat(attempts).hasSize(1);
    assertThat(attempts.getFirst().get("outcome")).isEqualTo("approved");
    assertThat((String) attempts.getFirst().get("rail_reference")).startsWith("auth_");
    assertThat(eventTypes(first.get("id").asString())).containsExactly("payment.created", "payment.succeeded");
    // The key stayed in progress while the outcome was unknown; a retry with it now gets the final payment.
    pay(key, "4012888888881881").expectStatus().isCreated().expectHeader().valueEquals("Idempotent-Replayed", "true")
        .expectBody().jsonPath("$.status").isEqualTo("succeeded");
    assertThat(gateway.bean(MeterRegistry.class).counter("malipo.payments.unknown.queries", "answer", "approved").count())
        .isPositive();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aPaymentWhoseDeclineWasLostFailsWithTheDeclineAndNoCapture() {
    gateway.acquirer().loseAnswers();
    JsonNode first = pay(UUID.randomUUID().toString(), "4000000000000002").expectStatus().isCreated()
        .expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(first.get("status").asString()).isEqualTo("processing");
    gateway.acquirer().restore();

    JsonNode resolved = awaitFinal(first.get("id").asString());
    assertThat(resolved.get("status").asString()).isEqualTo("failed");
    assertThat(resolved.get("failure").get("code").asString()).isEqualTo("card_declined");
    assertThat(eventTypes(first.get("id").asString())).containsExactly("payment.created", "payment.failed");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aPaymentWhoseRequestNeverReachedTheAcquirerFailsUnchargedAndTheAttemptIsFenced() {
    gateway.acquirer().loseRequests();
    JsonNode first = pay(UUID.randomUUID().toString(), "4012888888881881").expectStatus().isCreated()
        .expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(first.get("status").asString()).isEqualTo("processing");
    gateway.acquirer().restore();

    JsonNode resolved = awaitFinal(first.get("id").asString());
    assertThat(resolved.get("status").asString()).isEqualTo("failed");
    assertThat(resolved.get("failure").get("code").asString()).isEqualTo("provider_unavailable");
    assertThat(attempts(first.get("id").asString())).singleElement()
        .satisfies(attempt -> assertThat(attempt.get("outcome")).isEqualTo("not_attempted"));
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  private WebTestClient.ResponseSpec pay(String key, String pan) {
    String body = """
        {"amount": 2700, "currency": "KES", "payment_method": {"type": "card", "number": "%s",
         "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(pan);
    return client.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  private JsonNode awaitFinal(String paymentId) {
    long deadline = System.nanoTime() + RESOLVED.toNanos();
    while (true) {
      JsonNode payment = client.get().uri("/v1/payments/{id}", paymentId).headers(h -> h.setBearerAuth(merchant.token()))
          .exchange().expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
      if (!"processing".equals(payment.get("status").asString())) {
        return payment;
      }
      assertThat(System.nanoTime()).as("resolved by the status query within " + RESOLVED).isLessThan(deadline);
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private List<Map<String, Object>> attempts(String paymentId) {
    return db.sql("SELECT outcome, rail_reference FROM payment_attempts WHERE payment_id = :id")
        .bind("id", paymentId).fetch().all().collectList().block(Duration.ofSeconds(10));
  }

  private List<String> eventTypes(String paymentId) {
    return db.sql("SELECT type FROM outbox WHERE aggregate_id = :id ORDER BY id")
        .bind("id", paymentId).map(row -> row.get("type", String.class)).all().collectList()
        .block(Duration.ofSeconds(10));
  }
}
