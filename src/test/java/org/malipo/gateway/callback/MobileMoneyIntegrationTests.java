package org.malipo.gateway.callback;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.sandbox.SandboxServer;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.PaymentEvents;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Mobile money over HTTP against real PostgreSQL, Redis, Kafka and the sandbox M-Pesa and MoMo
 * simulators, which call the gateway back on its own port: each test MSISDN reaches its final
 * status (including the no-callback numbers, resolved by the status-query sweeper), and each
 * callback fault (wrong token, malformed JSON, unknown reference, amount mismatch, ten identical
 * callbacks at once, failure after success, success after failure) ends with its verdict.
 */
class MobileMoneyIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final Duration FINAL_WITHIN = Duration.ofSeconds(20);
  private static final String TOPIC = "malipo.payments.v1";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired SandboxServer sandbox;
  @Autowired CallbackProperties callbacks;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
  }

  static String mobilePayment(String operator, String msisdn, long amount, String currency) {
    return """
        {"amount": %d, "currency": "%s", "reference": "order-7", 
         "payment_method": {"type": "mobile_money", "operator": "%s", "msisdn": "%s"}}"""
        .formatted(amount, currency, operator, msisdn);
  }

  private WebTestClient.ResponseSpec pay(String body) {
    return web.post().uri("/v1/payments")
        .headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchange();
  }

  private JsonNode created(String body) {
    return json.readTree(pay(body).expectStatus().isCreated().expectBody().returnResult().getResponseBody());
  }

  private JsonNode get(String id) {
    return json.readTree(web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
  }

  /** Polls GET /v1/payments/{id} until the status is final, at most {@link #FINAL_WITHIN}. */
  private JsonNode awaitFinal(String id) {
    long deadline = System.nanoTime() + FINAL_WITHIN.toNanos();
    JsonNode payment = get(id);
    while (System.nanoTime() < deadline && "pending".equals(payment.get("status").asString())) {
      sleep(100);
      payment = get(id);
    }
    return payment;
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB);
  }

  private String railReference(String paymentId) {
    return db.sql("SELECT rail_reference FROM payment_attempts WHERE payment_id = :id")
        .bind("id", paymentId).map(row -> row.get(0, String.class)).one().block(DB);
  }

  private List<String> verdicts(String reference) {
    return db.sql("SELECT verdict FROM inbox WHERE rail_reference = :id AND verdict IS NOT NULL ORDER BY id")
        .bind("id", reference).map(row -> row.get(0, String.class)).all().collectList().block(DB);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private WebTestClient.ResponseSpec mpesaCallback(String token, byte[] body) {
    return web.post().uri("/v1/callbacks/mpesa/" + token).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  private String inboxVerdictOfLast(String bodyFragment) {
    long deadline = System.nanoTime() + FINAL_WITHIN.toNanos();
    while (System.nanoTime() < deadline) {
      String verdict = db.sql("SELECT COALESCE(verdict, '') FROM inbox WHERE body LIKE :fragment ORDER BY id DESC LIMIT 1")
          .bind("fragment", "%" + bodyFragment + "%").map(row -> row.get(0, String.class)).one().block(DB);
      if (verdict != null && !verdict.isEmpty()) {
        return verdict;
      }
      sleep(100);
    }
    return null;
  }

  // --- the happy and unhappy paths of each test MSISDN -----------------------------------------

  @Test
  void mpesaSuccessNumberIsPendingThenSucceedsWithOneCaptureAndOneEvent() {
    JsonNode payment = created(mobilePayment("mpesa", "+254708374149", 15_000, "KES"));
    String id = payment.get("id").asString();
    assertThat(payment.get("status").asString()).isEqualTo("pending");
    assertThat(payment.get("provider").asString()).isEqualTo("mpesa");
    assertThat(payment.get("payment_method").get("type").asString()).isEqualTo("mobile_money");
    assertThat(payment.get("payment_method").get("operator").asString()).isEqualTo("mpesa");
    assertThat(payment.get("payment_method").get("msisdn").asString()).startsWith("+25470").endsWith("149").contains("*");

    JsonNode done = awaitFinal(id);
    assertThat(done.get("status").asString()).isEqualTo("succeeded");
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'capture'", id)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'payment.succeeded'", id)).isEqualTo(1);
    assertThat(verdicts(railReference(id))).containsExactly("applied");
    assertThat(PaymentEvents.await(TOPIC, id, "payment.succeeded", Duration.ofSeconds(15))).isPresent();
  }

  @Test
  void mpesaCancelInsufficientAndNoCallbackNumbersFailWithMappedCodes() {
    String cancelled = created(mobilePayment("mpesa", "+254700000001", 10_000, "KES")).get("id").asString();
    String poor = created(mobilePayment("mpesa", "+254700000002", 10_000, "KES")).get("id").asString();
    String silent = created(mobilePayment("mpesa", "+254700000003", 10_000, "KES")).get("id").asString();

    assertThat(awaitFinal(cancelled).get("failure").get("code").asString()).isEqualTo("customer_cancelled");
    assertThat(awaitFinal(poor).get("failure").get("code").asString()).isEqualTo("insufficient_funds");
    JsonNode timedOut = awaitFinal(silent);
    assertThat(timedOut.get("status").asString()).isEqualTo("failed");
    assertThat(timedOut.get("failure").get("code").asString()).isEqualTo("timeout");
    assertThat(count("SELECT count(*) FROM inbox WHERE rail_reference = :id", railReference(silent))).isZero();
    for (String id : List.of(cancelled, poor, silent)) {
      assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", id)).isZero();
      assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'payment.failed'", id)).isEqualTo(1);
    }
  }

  @Test
  void momoNumbersSucceedFailAndResolveWithoutCallback() {
    JsonNode ok = created(mobilePayment("mtn_momo", "+256770000000", 5_000, "UGX"));
    assertThat(ok.get("status").asString()).isEqualTo("pending");
    String rejected = created(mobilePayment("mtn_momo", "+256770000001", 5_000, "UGX")).get("id").asString();
    String silent = created(mobilePayment("mtn_momo", "+256770000003", 5_000, "UGX")).get("id").asString();

    assertThat(awaitFinal(ok.get("id").asString()).get("status").asString()).isEqualTo("succeeded");
    JsonNode failed = awaitFinal(rejected);
    assertThat(failed.get("status").asString()).isEqualTo("failed");
    assertThat(failed.get("failure").get("code").asString()).isEqualTo("customer_cancelled");
    JsonNode expired = awaitFinal(silent);
    assertThat(expired.get("status").asString()).isEqualTo("failed");
    assertThat(expired.get("failure").get("code").asString()).isEqualTo("timeout");
    assertThat(count("SELECT count(*) FROM inbox WHERE rail_reference = :id", railReference(silent))).isZero();
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", silent)).isZero();
  }

  @Test
  void refusesBadMobileMoneyInputWithStableCodes() {
    pay(mobilePayment("mpesa", "+254708374149", 15_050, "KES")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("amount_invalid");
    pay(mobilePayment("mpesa", "+254708374149", 15_000, "UGX")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("currency_unsupported");
    pay(mobilePayment("mpesa", "+254730000000", 15_000, "KES")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid")
        .jsonPath("$.param").isEqualTo("payment_method.msisdn");
    pay(mobilePayment("mtn_momo", "+25677000", 5_000, "UGX")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.param").isEqualTo("payment_method.msisdn");
  }

  // --- callback faults -------------------------------------------------------------------------

  @Test
  void wrongTokenIs404AndStoresNothing() {
    byte[] body = sandbox.stkSuccessCallback("ws_CO_forged_wrong_token", 150, "254708374149");
    mpesaCallback("not-the-token", body).expectStatus().isNotFound();
    web.put().uri("/v1/callbacks/mtn-momo/not-the-token").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"status\":\"SUCCESSFUL\"}").exchange().expectStatus().isNotFound();
    assertThat(count("SELECT count(*) FROM inbox WHERE body LIKE '%' || :id || '%'", "ws_CO_forged_wrong_token")).isZero();
  }

  @Test
  void malformedJsonIsAcknowledgedStoredAndRejected() {
    mpesaCallback(callbacks.mpesaToken(), "{\"Body\": broken-malformed-1".getBytes(StandardCharsets.UTF_8))
        .expectStatus().isOk()
        .expectBody().jsonPath("$.ResultCode").isEqualTo(0).jsonPath("$.ResultDesc").isEqualTo("Accepted");
    assertThat(inboxVerdictOfLast("broken-malformed-1")).isEqualTo("rejected");
  }

  @Test
  void unknownReferenceIsKeptAsOrphan() {
    mpesaCallback(callbacks.mpesaToken(), sandbox.stkSuccessCallback("ws_CO_unknown_ref_42", 150, "254708374149"))
        .expectStatus().isOk();
    assertThat(inboxVerdictOfLast("ws_CO_unknown_ref_42")).isEqualTo("orphan");
  }

  @Test
  void amountMismatchIsQuarantinedAndChangesNothing() {
    String id = created(mobilePayment("mpesa", "+254700000003", 20_000, "KES")).get("id").asString();
    String reference = railReference(id);
    mpesaCallback(callbacks.mpesaToken(), sandbox.stkSuccessCallback(reference, 1, "254700000003")).expectStatus().isOk();

    assertThat(inboxVerdictOfLast(reference)).isEqualTo("mismatch");
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", id)).isZero();
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'payment.succeeded'", id)).isZero();
  }

  @Test
  void tenIdenticalCallbacksAtOncePostOneCaptureAndOneEvent() {
    String id = created(mobilePayment("mpesa", "+254708374149", 30_000, "KES")).get("id").asString();
    String reference = railReference(id);
    byte[] body = sandbox.stkSuccessCallback(reference, 300, "254708374149");

    CompletableFuture<?>[] sends = IntStream.range(0, 10)
        .mapToObj(i -> CompletableFuture.runAsync(() -> mpesaCallback(callbacks.mpesaToken(), body).expectStatus().isOk()))
        .toArray(CompletableFuture[]::new);
    CompletableFuture.allOf(sends).join();

    assertThat(awaitFinal(id).get("status").asString()).isEqualTo("succeeded");
    long deadline = System.nanoTime() + FINAL_WITHIN.toNanos();
    while (System.nanoTime() < deadline && verdicts(reference).size() < 11) {
      sleep(100);
    }
    List<String> verdicts = verdicts(reference);
    assertThat(verdicts).hasSize(11); // ten forged-identical plus the simulator's own
    assertThat(verdicts).containsOnly("applied", "duplicate");
    assertThat(verdicts.stream().filter("applied"::equals)).hasSize(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", id)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'payment.succeeded'", id)).isEqualTo(1);
  }

  @Test
  void failureAfterSuccessChangesNothing() {
    String id = created(mobilePayment("mtn_momo", "+256770000000", 7_000, "UGX")).get("id").asString();
    assertThat(awaitFinal(id).get("status").asString()).isEqualTo("succeeded");
    String reference = railReference(id);
    String failure = """
        {"externalId":"x","amount":"7000","currency":"UGX","payer":{"partyIdType":"MSISDN","partyId":"256770000000"},
         "status":"FAILED","reason":"APPROVAL_REJECTED"}""";
    web.put().uri("/v1/callbacks/mtn-momo/" + callbacks.mtnMomoToken() + "?ref=" + reference)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(failure).exchange().expectStatus().isOk();

    assertThat(inboxVerdictOfLast("APPROVAL_REJECTED\"}")).isIn("late", "duplicate");
    assertThat(get(id).get("status").asString()).isEqualTo("succeeded");
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'payment.failed'", id)).isZero();
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", id)).isEqualTo(1);
  }

  @Test
  void successAfterTimeoutGoesToSuspenseOnceAndNeverReopens() {
    String id = created(mobilePayment("mpesa", "+254700000003", 25_000, "KES")).get("id").asString();
    assertThat(awaitFinal(id).get("failure").get("code").asString()).isEqualTo("timeout");
    String reference = railReference(id);
    sandbox.settleStk(reference, 0); // the customer paid after all; the STK query now says so
    byte[] late = sandbox.stkSuccessCallback(reference, 250, "254700000003");

    mpesaCallback(callbacks.mpesaToken(), late).expectStatus().isOk();
    assertThat(inboxVerdictOfLast(reference)).isEqualTo("late");
    mpesaCallback(callbacks.mpesaToken(), late).expectStatus().isOk();
    long deadline = System.nanoTime() + FINAL_WITHIN.toNanos();
    while (System.nanoTime() < deadline && verdicts(reference).size() < 2) {
      sleep(100);
    }
    assertThat(verdicts(reference)).containsExactly("late", "duplicate");
    assertThat(get(id).get("status").asString()).isEqualTo("failed");
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'late_funds'", id)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'capture'", id)).isZero();
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'payment.late_funds'", id)).isEqualTo(1);
  }
}
