package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.ProxiedInstanceTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.ProxiedInstance;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * PostgreSQL goes away under one gateway instance ({@link ProxiedInstance}: its R2DBC connections
 * pass through a proxy the test cuts, resetting every open connection and refusing new ones) and
 * comes back. The real server keeps serving everyone else.
 */
class PostgresOutageIntegrationTests extends ProxiedInstanceTest {

  /** "At once": well under a client's own timeout, and far under the pool's acquire limit (2 s). */
  private static final Duration PROMPTLY = Duration.ofMillis(2_500);
  private static final Duration RECOVERY = Duration.ofSeconds(15);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);
  private static final String CARD_PAYMENT = """
      {"amount": 4100, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
       "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""";

  private final JsonMapper json = JsonMapper.builder().build();
  @Test
  void answers503AtOnceAndWritesNothingWhilePostgresIsDown() {
    String key = UUID.randomUUID().toString();
    gateway.postgres().cut();

    long started = System.nanoTime();
    JsonNode problem = pay(key).expectStatus().isEqualTo(503)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectHeader().exists("Retry-After")
        .expectBody(JsonNode.class).returnResult().getResponseBody();
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(problem.get("code").asString()).isEqualTo("service_unavailable");
    assertThat(problem.has("payment_id")).as("nothing was recorded, so no payment is named").isFalse();
    assertThat(took).as("the gateway answered without waiting for PostgreSQL").isLessThan(PROMPTLY);

    gateway.postgres().restore();
    awaitReady();
    assertThat(rows("SELECT count(*) AS n FROM payments WHERE merchant_id = :merchant")).as("payments").isZero();
    assertThat(rows("SELECT count(*) AS n FROM idempotency_keys WHERE merchant_id = :merchant")).as("idempotency keys").isZero();
    assertThat(rows("SELECT count(*) AS n FROM outbox o JOIN payments p ON p.id = o.aggregate_id WHERE p.merchant_id = :merchant"))
        .as("events").isZero();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void resumesByItselfWhenPostgresReturns() {
    String key = UUID.randomUUID().toString();
    gateway.postgres().cut();
    pay(key).expectStatus().isEqualTo(503);

    gateway.postgres().restore();
    awaitReady();

    // The same key again: the failed first try left nothing, so this one is processed afresh.
    JsonNode payment = pay(key).expectStatus().isCreated().expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    pay(key).expectStatus().isCreated().expectHeader().valueEquals("Idempotent-Replayed", "true");
    assertThat(rows("SELECT count(*) AS n FROM payments WHERE merchant_id = :merchant")).isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void readinessGoesDownWhilePostgresIsDownAndUpWhenItReturns() {
    client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();

    gateway.postgres().cut();
    client.get().uri("/actuator/health/readiness").exchange().expectStatus().isEqualTo(503)
        .expectBody().jsonPath("$.status").isEqualTo("DOWN");
    client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();

    gateway.postgres().restore();
    awaitReady();
  }

  @Test
  void aFailureAtTheOutcomeWriteNamesThePaymentAndARetryWithItsKeyReturnsItOnceSettled() throws Exception {
    String key = UUID.randomUUID().toString();
    gateway.acquirer().loseAnswers(); // the acquirer authorizes; its answer never comes back (1 s timeout)
    CompletableFuture<JsonNode> answer = CompletableFuture.supplyAsync(() -> pay(key).expectStatus().isEqualTo(503)
        .expectHeader().exists("Retry-After").expectBody(JsonNode.class).returnResult().getResponseBody());
    // PostgreSQL goes once the attempt is committed and the rail call is on its way.
    long deadline = System.nanoTime() + RECOVERY.toNanos();
    while (rows("SELECT count(*) AS n FROM payment_attempts a JOIN payments p ON p.id = a.payment_id"
        + " WHERE p.merchant_id = :merchant AND a.outcome = 'in_flight'") == 0) {
      assertThat(System.nanoTime()).as("attempt committed").isLessThan(deadline);
      sleep(Duration.ofMillis(20));
    }
    gateway.postgres().cut();

    JsonNode problem = answer.get(30, TimeUnit.SECONDS);
    assertThat(problem.get("code").asString()).isEqualTo("service_unavailable");
    assertThat(problem.get("payment_id").asString()).startsWith("pay_");
    assertThat(problem.get("detail").asString()).contains("same Idempotency-Key").doesNotContain("nothing was recorded");

    gateway.postgres().restore();
    gateway.acquirer().restore();
    awaitReady();
    String paymentId = problem.get("payment_id").asString();
    long settled = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (rows("SELECT count(*) AS n FROM payments WHERE merchant_id = :merchant AND status = 'succeeded'") == 0) {
      assertThat(System.nanoTime()).as("settled by the reconciler's status query").isLessThan(settled);
      sleep(Duration.ofMillis(200));
    }
    pay(key).expectStatus().isCreated().expectHeader().valueEquals("Idempotent-Replayed", "true")
        .expectBody().jsonPath("$.id").isEqualTo(paymentId).jsonPath("$.status").isEqualTo("succeeded");
    assertThat(rows("SELECT count(*) AS n FROM payments WHERE merchant_id = :merchant")).as("one payment").isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  private WebTestClient.ResponseSpec pay(String key) {
    return client.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(CARD_PAYMENT).exchange();
  }

  /**
   * Polls readiness until UP: the pool reconnects by itself, nobody restarts anything. A probe that
   * does not answer within {@link #PROBE_TIMEOUT} counts as not ready, as the kubelet counts it
   * (probe {@code timeoutSeconds}): right after the cut is lifted, the health check's own query can
   * wait on a connection that died in the cut.
   */
  private void awaitReady() {
    WebTestClient probe = client.mutate().responseTimeout(PROBE_TIMEOUT).build();
    long deadline = System.nanoTime() + RECOVERY.toNanos();
    while (true) {
      int status;
      try {
        status = probe.get().uri("/actuator/health/readiness").exchange().returnResult(String.class)
            .getStatus().value();
      } catch (IllegalStateException probeTimedOut) {
        status = 503;
      }
      if (status == 200) {
        return;
      }
      assertThat(System.nanoTime()).as("readiness UP again within " + RECOVERY).isLessThan(deadline);
      sleep(Duration.ofMillis(200));
    }
  }

  private long rows(String sql) {
    return db.sql(sql).bind("merchant", merchant.merchantId()).map(row -> row.get("n", Long.class)).one()
        .block(Duration.ofSeconds(10));
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
