package org.malipo.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.rail.ResilienceRegistries;
import org.malipo.gateway.sandbox.SandboxServer;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Failover and health-aware re-ranking end to end: the sandbox acquirer {@code acquirer_a} is
 * made to fail, slowed and recovered through the operator route
 * {@code PUT /v1/sandbox/rails/{rail}/faults}, while real payments flow through the pipeline.
 *
 * <p>The merchant {@code mer_routing_one_tier} has a rule in {@code application-test.yml} that
 * puts both acquirers in one tier, so health decides their order; other merchants use the strict
 * priority {@code acquirer_a, acquirer_b}. Each test leaves the acquirers, their circuits and their
 * health windows as it found them.
 */
class RailFailoverIntegrationTests extends IntegrationTest {

  private static final String ONE_TIER_MERCHANT = "mer_routing_one_tier";
  private static final String OPERATOR = "mer_routing_it_operator";
  private static final String ADMIN_CLIENT = "routing_it_admin";
  private static final String ADMIN_SECRET = "sk_routing_it_admin_secret";
  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired private DatabaseClient db;
  @Autowired private ApiClients clients;
  @Autowired private JsonMapper json;
  @Autowired private SandboxServer sandbox;
  @Autowired private ResilienceRegistries resilience;
  @Autowired private RailRouter router;
  @Autowired private MeterRegistry meters;

  private String adminToken;
  private String oneTierToken;

  @BeforeEach
  void seedAndReset() {
    var seed = db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Routing IT', 'KE') ON CONFLICT (id) DO NOTHING")
        .bind("id", ONE_TIER_MERCHANT).then()
        .then(db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Routing IT operator', 'KE') "
            + "ON CONFLICT (id) DO NOTHING").bind("id", OPERATOR).then())
        .then(clients.registerIfAbsent(ADMIN_CLIENT, OPERATOR, ADMIN_SECRET, List.of("admin")));
    StepVerifier.create(seed).expectNextCount(1).expectComplete().verify(DB);
    adminToken = TestMerchants.token(web, ADMIN_CLIENT, ADMIN_SECRET);
    ApiClients.Credentials credentials = clients.register(ONE_TIER_MERCHANT, List.of("payments:write", "payments:read")).block(DB);
    oneTierToken = TestMerchants.token(web, credentials.clientId(), credentials.clientSecret());
    resetRails();
  }

  @AfterEach
  void resetRails() {
    sandbox.faults().clear();
    for (String rail : List.of("acquirer_a", "acquirer_b")) {
      resilience.circuitBreakers().circuitBreaker(rail).reset();
      router.health().forget(rail);
    }
  }

  @Test
  void aFailingAcquirerIsFailedOverThenRankedBehindTheHealthyOneAndGetsTrafficBackWhenItRecovers() {
    List<String> paymentIds = new ArrayList<>();
    // A first payment warms the cold paths of this JVM, so the next ones fit well inside the window.
    paymentIds.add(pay(oneTierToken).get("id").asString());
    router.health().forget("acquirer_a");
    setFaults("acquirer_a", 0, true);

    JsonNode first = pay(oneTierToken);
    paymentIds.add(first.get("id").asString());
    assertThat(first.get("status").asString()).isEqualTo("succeeded");
    assertThat(first.get("provider").asString()).isEqualTo("acquirer_b");
    assertThat(first.get("attempts").asInt()).as("acquirer_a refused (503, not charged), then acquirer_b").isEqualTo(2);
    assertThat(attempts(first.get("id").asString())).containsExactly("acquirer_a:not_attempted", "acquirer_b:approved");

    // Four more refusals fill acquirer_a's window (min-samples 5): its score drops to 0.
    for (int i = 0; i < 4; i++) {
      JsonNode payment = pay(oneTierToken);
      paymentIds.add(payment.get("id").asString());
      assertThat(payment.get("attempts").asInt()).isEqualTo(2);
    }
    assertThat(meters.get("malipo.rail.health").tag("rail", "acquirer_a").gauge().value()).isZero();
    assertThat(meters.get("malipo.rail.health").tag("rail", "acquirer_b").gauge().value()).isEqualTo(1.0);

    JsonNode reranked = pay(oneTierToken);
    paymentIds.add(reranked.get("id").asString());
    assertThat(reranked.get("provider").asString()).isEqualTo("acquirer_b");
    assertThat(reranked.get("attempts").asInt()).as("acquirer_b is now tried first").isEqualTo(1);
    assertThat(resilience.circuitBreakers().circuitBreaker("acquirer_a").getState())
        .as("the ranking, not the circuit breaker, moved acquirer_a back").isEqualTo(CircuitBreaker.State.CLOSED);

    setFaults("acquirer_a", 0, false);
    // Once its failures leave the window (10 s), acquirer_a is neutral again and first.
    JsonNode recovered = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode payment = pay(oneTierToken);
      paymentIds.add(payment.get("id").asString());
      if ("acquirer_a".equals(payment.get("provider").asString())) {
        recovered = payment;
        break;
      }
      sleep(Duration.ofMillis(500));
    }
    assertThat(recovered).as("a payment went to acquirer_a again after it recovered").isNotNull();
    assertThat(recovered.get("attempts").asInt()).isEqualTo(1);

    for (String id : paymentIds) {
      assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'capture'", id))
          .as("one capture for %s", id).isEqualTo(1);
      assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id AND outcome = 'approved'", id))
          .as("one approved attempt for %s", id).isEqualTo(1);
    }
  }

  @Test
  void anOpenCircuitSendsPaymentsStraightToTheNextRailEvenAheadOfPriority() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    resilience.circuitBreakers().circuitBreaker("acquirer_a").transitionToOpenState();

    JsonNode payment = pay(merchant.token());

    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    assertThat(payment.get("provider").asString()).isEqualTo("acquirer_b");
    assertThat(payment.get("attempts").asInt()).as("acquirer_a was not even tried").isEqualTo(1);
  }

  @Test
  void aSlowedAcquirerAnswersLaterAndTheAttemptRecordsItsLatency() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    setFaults("acquirer_a", 300, false);

    JsonNode payment = pay(merchant.token());

    assertThat(payment.get("provider").asString()).isEqualTo("acquirer_a");
    long latencyMs = db.sql("SELECT latency_ms FROM payment_attempts WHERE payment_id = :id")
        .bind("id", payment.get("id").asString()).map(row -> row.get(0, Long.class)).one().block(DB);
    assertThat(latencyMs).isGreaterThanOrEqualTo(300);
  }

  @Test
  void faultsCanOnlyBeSetByAnOperatorWithAValidBody() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    web.put().uri("/v1/sandbox/rails/acquirer_a/faults").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"latency_ms\": 2000, \"fail\": false}").exchange()
        .expectStatus().isForbidden()
        .expectBody().jsonPath("$.code").isEqualTo("insufficient_scope");
    web.put().uri("/v1/sandbox/rails/acquirer_a/faults").headers(h -> h.setBearerAuth(adminToken))
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"fail\": true}").exchange()
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_missing").jsonPath("$.param").isEqualTo("latency_ms");
    web.put().uri("/v1/sandbox/rails/acquirer_a/faults").headers(h -> h.setBearerAuth(adminToken))
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"latency_ms\": 60001, \"fail\": false}").exchange()
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo("latency_ms");
    web.put().uri("/v1/sandbox/rails/Acquirer-A/faults").headers(h -> h.setBearerAuth(adminToken))
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"latency_ms\": 0, \"fail\": false}").exchange()
        .expectStatus().isNotFound()
        .expectBody().jsonPath("$.code").isEqualTo("not_found");

    assertThat(sandbox.faults().of("acquirer_a").extraLatency()).as("nothing was changed").isZero();
  }

  private void setFaults(String rail, int latencyMs, boolean fail) {
    web.put().uri("/v1/sandbox/rails/{rail}/faults", rail).headers(h -> h.setBearerAuth(adminToken))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"latency_ms\": " + latencyMs + ", \"fail\": " + fail + "}")
        .exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.object").isEqualTo("sandbox_rail_faults")
        .jsonPath("$.rail").isEqualTo(rail)
        .jsonPath("$.latency_ms").isEqualTo(latencyMs)
        .jsonPath("$.fail").isEqualTo(fail);
  }

  private JsonNode pay(String token) {
    byte[] answer = web.post().uri("/v1/payments")
        .headers(h -> h.setBearerAuth(token))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 2500, "currency": "KES", "reference": "routing-it",
             "payment_method": {"type": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange()
        .expectStatus().isCreated()
        .expectBody().returnResult().getResponseBody();
    return json.readTree(answer);
  }

  private List<String> attempts(String paymentId) {
    return db.sql("SELECT rail || ':' || outcome FROM payment_attempts WHERE payment_id = :id ORDER BY id")
        .bind("id", paymentId).map(row -> row.get(0, String.class)).all().collectList().block(DB);
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB);
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
