package org.malipo.gateway.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.ProxiedInstanceTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.ProxiedInstance;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Redis goes away under one gateway instance ({@link ProxiedInstance}: its Redis connections pass
 * through a proxy the test cuts, resetting them and refusing new ones) and comes back; the
 * machine's Redis keeps serving every other test and run (no CLIENT PAUSE on the real server).
 *
 * <p>When the per-merchant Redis rate limiter lands, its fail-open (requests allowed, a metric
 * counted) belongs in {@link #paymentsSucceedFlaggedDegradedAndReplayFromPostgresWhileRedisIsDown}:
 * the payment below must still be 201 and the limiter's failure counter must have moved.
 */
class RedisOutageIntegrationTests extends ProxiedInstanceTest {

  /** Each Redis look-up gives up after 150-250 ms: the payment must not wait for Redis to return. */
  private static final Duration PROMPTLY = Duration.ofMillis(2_500);
  private static final Duration RECOVERY = Duration.ofSeconds(20);

  private final JsonMapper json = JsonMapper.builder().build();
  @Test
  void paymentsSucceedFlaggedDegradedAndReplayFromPostgresWhileRedisIsDown() {
    String key = UUID.randomUUID().toString();
    double cacheFailuresBefore = cacheFailures();
    gateway.redis().cut();

    long started = System.nanoTime();
    byte[] first = pay(key, 2500).expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    JsonNode payment = json.readTree(first);
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    assertThat(payment.get("risk").path("degraded").asBoolean(false)).isTrue();
    assertThat(payment.get("risk").get("reasons").toString()).contains(RiskAssessment.VELOCITY_UNAVAILABLE);
    assertThat(took).as("the payment did not wait for Redis").isLessThan(PROMPTLY);
    assertThat(cacheFailures()).as("malipo.idempotency.cache.failures counted the skipped look-ups")
        .isGreaterThan(cacheFailuresBefore);

    // No Redis to replay from: PostgreSQL's stored answer is the replay, byte for byte.
    byte[] again = pay(key, 2500).expectStatus().isCreated().expectHeader().valueEquals("Idempotent-Replayed", "true")
        .expectBody().returnResult().getResponseBody();
    assertThat(again).isEqualTo(first);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void velocityRulesApplyAgainByThemselvesWhenRedisReturns() {
    gateway.redis().cut();
    JsonNode degraded = pay(UUID.randomUUID().toString(), 1200).expectStatus().isCreated()
        .expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(degraded.get("risk").get("degraded").asBoolean()).isTrue();

    gateway.redis().restore();
    // Lettuce reconnects with its own back-off; nobody restarts anything.
    long deadline = System.nanoTime() + RECOVERY.toNanos();
    JsonNode payment;
    do {
      assertThat(System.nanoTime()).as("a payment scored with Redis again within " + RECOVERY).isLessThan(deadline);
      sleep(Duration.ofMillis(300));
      payment = pay(UUID.randomUUID().toString(), 1200).expectStatus().isCreated()
          .expectBody(JsonNode.class).returnResult().getResponseBody();
    } while (payment.get("risk").path("degraded").asBoolean(false));
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  private WebTestClient.ResponseSpec pay(String key, long amountMinor) {
    String body = """
        {"amount": %d, "currency": "KES", "payment_method": {"type": "card", "number": "4111111111111111",
         "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(amountMinor);
    return client.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  private double cacheFailures() {
    return gateway.bean(MeterRegistry.class).counter("malipo.idempotency.cache.failures").count();
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
