package org.malipo.gateway.reconciliation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.payment.PaymentResolutions;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A reconciliation upload interrupted: the client hanging up at several points leaves the run
 * recorded whole or not at all (a retry of the same file then answers it, once); a process that
 * died after settling a lost answer and before recording the run leaves a succeeded payment that
 * the retried upload pairs, with its one capture.
 */
class ReconciliationInterruptionIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired PaymentResolutions resolutions;
  @Autowired ReactiveTransactionManager transactionManager;
  @LocalServerPort int port;

  @Test
  void aClientHangingUpAtAnyPointLeavesTheRunWholeOrAbsentAndTheRetryAnswersItOnce() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    for (long hangUpAfterMs : List.of(1L, 5L, 20L, 60L, 150L)) {
      String at = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
      String file = "rail_reference,authorization_code,transaction_time,amount,currency,interchange_fee,net\n"
          + "auth_gone_" + UUID.randomUUID() + ",111111," + at + ",10.00,KES,0.15,9.85\n"
          + "auth_gone_" + UUID.randomUUID() + ",222222," + at + ",20.00,KES,0.30,19.70\n";
      WebClient impatient = WebClient.builder().baseUrl("http://127.0.0.1:" + port)
          .clientConnector(new ReactorClientHttpConnector(HttpClient.create().responseTimeout(Duration.ofMillis(hangUpAfterMs))))
          .build();
      try {
        impatient.post().uri("/v1/reconciliation/runs?rail=acquirer_a").headers(h -> h.setBearerAuth(operator.token()))
            .contentType(MediaType.parseMediaType("text/csv")).bodyValue(file.getBytes(StandardCharsets.UTF_8))
            .retrieve().bodyToMono(String.class).block(Duration.ofSeconds(5));
      } catch (RuntimeException hungUp) {
        // Expected for the short waits: the client gave up before the answer.
      }
      JsonNode run = json.readTree(web.post().uri("/v1/reconciliation/runs?rail=acquirer_a")
          .headers(h -> h.setBearerAuth(operator.token())).contentType(MediaType.parseMediaType("text/csv"))
          .bodyValue(file.getBytes(StandardCharsets.UTF_8)).exchange()
          .expectStatus().value(status -> assertThat(status).isIn(200, 201))
          .expectBody().returnResult().getResponseBody());
      String runId = run.get("id").asString();
      assertThat(run.get("counts").get("missing_in_gateway").asInt()).as("after %d ms", hangUpAfterMs).isEqualTo(2);
      // Only the file's own lines: other tests' acquirer_a payments of the same period are the run's
      // missing_in_rail items in a shared database.
      assertThat(count("SELECT count(*) FROM reconciliation_items WHERE run_id = '" + runId + "' AND line IS NOT NULL"))
          .isEqualTo(2);
      assertThat(count("SELECT count(*) FROM payment_exceptions WHERE reconciliation_run_id = '" + runId
          + "' AND kind = 'missing_in_gateway'")).isEqualTo(2);
      assertThat(count("SELECT count(*) FROM journal_entries WHERE reconciliation_run_id = '" + runId + "'")).isEqualTo(1);
      // The suspense the run opened is exactly what its two cases hold: 10.00 + 20.00 KES gross.
      assertThat(count("SELECT sum(suspense_minor) FROM payment_exceptions WHERE reconciliation_run_id = '" + runId
          + "' AND kind = 'missing_in_gateway'"))
          .isEqualTo(3_000);
      assertThat(count("""
          SELECT count(*) FROM reconciliation_runs r WHERE r.rail = 'acquirer_a'
            AND r.content_sha256 = (SELECT content_sha256 FROM reconciliation_runs WHERE id = '%s')""".formatted(runId)))
          .isEqualTo(1);
    }
  }

  @Test
  void aProcessThatDiedAfterSettlingALostAnswerLeavesAPaymentTheRetriedUploadPairsOnce() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "admin");
    String paymentId = json.readTree(web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 120000, "currency": "KES", "reference": "order-23",
             "payment_method": {"type": "mobile_money", "operator": "mpesa", "msisdn": "+254700000004"}}""")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody()).get("id").asString();
    String reference = db.sql("SELECT rail_reference FROM payment_attempts WHERE payment_id = :id AND rail_reference IS NOT NULL")
        .bind("id", paymentId).map(row -> row.get(0, String.class)).first().block(DB);
    String date = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
    List<String> statement = new String(web.get().uri("/v1/sandbox/rails/mpesa/statement?date=" + date)
        .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk().expectBody().returnResult()
        .getResponseBody(), StandardCharsets.UTF_8).lines().toList();
    String line = statement.stream().filter(l -> l.contains(reference)).findFirst().orElseThrow();

    // The first write of an upload, then the process died: the payment settled, no run recorded.
    PaymentResolutions.Attempt attempt = resolutions.findAttempt("mpesa", reference, null).block(DB);
    TransactionalOperator.create(transactionManager)
        .transactional(resolutions.apply(attempt, new RailOutcome.Approved("mpesa", reference, "0"))).block(DB);

    JsonNode run = json.readTree(web.post().uri("/v1/reconciliation/runs?rail=mpesa").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.parseMediaType("text/csv"))
        .bodyValue((statement.getFirst() + "\r\n" + line + "\r\n").getBytes(StandardCharsets.UTF_8))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody());
    assertThat(run.get("counts").get("matched").asInt()).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = '" + paymentId + "' AND kind = 'capture'"))
        .isEqualTo(1);
    assertThat(count("SELECT count(*) FROM reconciliation_items WHERE payment_id = '" + paymentId + "' AND result = 'matched'"))
        .isEqualTo(1);
  }

  private long count(String sql) {
    Number value = db.sql(sql).map(row -> row.get(0, Number.class)).first().block(DB);
    return value == null ? 0 : value.longValue();
  }
}
