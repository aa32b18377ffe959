package org.malipo.gateway.reconciliation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
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
 * Paystack, Airtel and Orange (issue 23): their sandbox statements, in Malipo's statement CSV, show
 * what they collected, and the lines pair with their payments: matched, an altered amount, a
 * deleted line.
 */
class RegionalStatementsIntegrationTests extends IntegrationTest {

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;

  @Test
  void paystackStatementPairsWithItsPayment() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "admin");
    String paystack = pay(merchant, """
        {"amount": 250000, "currency": "NGN", "payment_method": {"type": "card", "number": "4084084084084081",
         "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""");
    awaitSucceeded(merchant, paystack);
    for (String[] rail : List.<String[]>of(new String[] {payment(merchant, paystack).get("provider").asString(), paystack})) {
      List<String> lines = statement(merchant, rail[0]);
      assertThat(lines.getFirst()).isEqualTo("rail_reference,receipt,completed_at,amount,currency,fee,payer");
      String reference = db.sql("SELECT rail_reference FROM payment_attempts WHERE payment_id = :id AND rail_reference IS NOT NULL")
          .bind("id", rail[1]).map(row -> row.get(0, String.class)).first().block(Duration.ofSeconds(10));
      String line = lines.stream().filter(l -> l.startsWith(reference + ",")).findFirst().orElseThrow();
      JsonNode run = json.readTree(web.post().uri("/v1/reconciliation/runs?rail={rail}", rail[0])
          .headers(h -> h.setBearerAuth(merchant.token())).contentType(MediaType.parseMediaType("text/csv"))
          .bodyValue((lines.getFirst() + "\n" + line + "\n").getBytes(StandardCharsets.UTF_8)).exchange()
          .expectStatus().isCreated().expectBody().returnResult().getResponseBody());
      assertThat(run.get("counts").get("matched").asInt()).as(rail[0]).isEqualTo(1);
    }
  }

  @Test
  void airtelAndOrangeStatementsListTheirCollectionsAndReconcile() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "admin");
    String[][] rails = {{"airtel", "KES", "15000", "+254733000000"}, {"orange", "XOF", "5000", "+2250707000000"}};
    for (String[] rail : rails) {
      List<String> payments = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        payments.add(pay(merchant, """
            {"amount": %s, "currency": "%s", "payment_method": {"type": "mobile_money", "operator": "%s",
             "msisdn": "%s"}}""".formatted(rail[2], rail[1], rail[0], rail[3])));
      }
      payments.forEach(id -> awaitSucceeded(merchant, id));
      List<String> statement = statement(merchant, rail[0]);
      assertThat(statement.getFirst()).isEqualTo("rail_reference,receipt,completed_at,amount,currency,fee,payer");
      List<String> lines = payments.stream().map(id -> {
        String reference = reference(id);
        return statement.stream().filter(l -> l.startsWith(reference + ",")).findFirst()
            .orElseThrow(() -> new AssertionError(rail[0] + " statement lacks payment " + id + ":\n" + statement));
      }).toList();
      assertThat(lines).allSatisfy(line -> assertThat(line).contains("," + rail[1] + ","));
      // The first as the rail wrote it, the second's amount altered, the third deleted.
      String[] altered = lines.get(1).split(",", -1);
      altered[3] = rail[1].equals("KES") ? "149.00" : "4999";
      String csv = statement.getFirst() + "\n" + lines.get(0) + "\n" + String.join(",", altered) + "\n";
      JsonNode run = json.readTree(web.post().uri("/v1/reconciliation/runs?rail={rail}", rail[0])
          .headers(h -> h.setBearerAuth(merchant.token())).contentType(MediaType.parseMediaType("text/csv"))
          .bodyValue(csv.getBytes(StandardCharsets.UTF_8)).exchange()
          .expectStatus().isCreated().expectBody().returnResult().getResponseBody());
      assertThat(run.get("counts").get("matched").asInt()).as(rail[0]).isEqualTo(1);
      assertThat(run.get("counts").get("amount_mismatch").asInt()).as(rail[0]).isEqualTo(1);
      assertThat(result(run.get("id").asString(), payments.get(0))).as(rail[0]).isEqualTo("matched");
      assertThat(result(run.get("id").asString(), payments.get(1))).as(rail[0]).isEqualTo("amount_mismatch");
      assertThat(result(run.get("id").asString(), payments.get(2))).as(rail[0]).isEqualTo("missing_in_rail");
    }
  }

  private String reference(String paymentId) {
    return db.sql("SELECT rail_reference FROM payment_attempts WHERE payment_id = :id AND rail_reference IS NOT NULL")
        .bind("id", paymentId).map(row -> row.get(0, String.class)).first().block(Duration.ofSeconds(10));
  }

  private String result(String runId, String paymentId) {
    return db.sql("SELECT result FROM reconciliation_items WHERE run_id = :run AND payment_id = :payment")
        .bind("run", runId).bind("payment", paymentId).map(row -> row.get(0, String.class)).first()
        .block(Duration.ofSeconds(10));
  }

  private String pay(TestMerchant merchant, String body) {
    return json.readTree(web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody()).get("id").asString();
  }

  private JsonNode payment(TestMerchant merchant, String id) {
    return json.readTree(web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
  }

  private void awaitSucceeded(TestMerchant merchant, String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!payment(merchant, id).get("status").asString().equals("succeeded")) {
      assertThat(System.nanoTime()).as("payment %s never succeeded", id).isLessThan(deadline);
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private List<String> statement(TestMerchant merchant, String rail) {
    byte[] body = web.get().uri("/v1/sandbox/rails/{rail}/statement?date={date}", rail, LocalDate.now(ZoneOffset.UTC).toString())
        .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk().expectBody().returnResult()
        .getResponseBody();
    return new String(body, StandardCharsets.UTF_8).lines().toList();
  }
}
