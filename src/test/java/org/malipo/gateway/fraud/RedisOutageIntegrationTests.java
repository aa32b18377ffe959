package org.malipo.gateway.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Redis stops answering (CLIENT PAUSE: the real server holds every command) while a payment runs:
 * the payment still succeeds, the velocity rules are skipped and flagged {@code risk.degraded},
 * and idempotency falls back to PostgreSQL, so a retry with the same key is still a replay.
 */
class RedisOutageIntegrationTests extends IntegrationTest {

  private static final Duration PAUSE = Duration.ofSeconds(3);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;

  @Test
  void paymentsSucceedFlaggedDegradedWhileRedisDoesNotAnswer() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    String key = UUID.randomUUID().toString();
    String body = """
        {"amount": 2500, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
         "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""";

    redisCli("CLIENT", "PAUSE", Long.toString(PAUSE.toMillis()), "ALL");
    try {
      paysAndReplaysWithoutRedis(merchant, key, body);
    } finally {
      redisCli("CLIENT", "UNPAUSE"); // later tests must find Redis answering again
    }
  }

  private void paysAndReplaysWithoutRedis(TestMerchant merchant, String key, String body) {
    long started = System.nanoTime();
    byte[] first = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
        .expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    JsonNode payment = json.readTree(first);
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    assertThat(payment.get("risk").get("degraded").asBoolean()).isTrue();
    assertThat(payment.get("risk").get("reasons").toString()).contains(RiskAssessment.VELOCITY_UNAVAILABLE);
    assertThat(took).as("the payment did not wait for Redis to come back").isLessThan(PAUSE);

    byte[] again = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
        .expectStatus().isCreated().expectHeader().valueEquals("Idempotent-Replayed", "true")
        .expectBody().returnResult().getResponseBody();
    assertThat(again).isEqualTo(first);
  }

  /** Runs a command with redis-cli (CLIENT PAUSE answers at once, then holds other clients' commands). */
  private static void redisCli(String... command) {
    try {
      java.util.List<String> line = new java.util.ArrayList<>(java.util.List.of("redis-cli", "-h", "127.0.0.1", "-p", "6379"));
      line.addAll(java.util.List.of(command));
      Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
      String answer = new String(process.getInputStream().readAllBytes()).trim();
      assertThat(process.waitFor()).isZero();
      assertThat(answer).isEqualTo("OK");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
