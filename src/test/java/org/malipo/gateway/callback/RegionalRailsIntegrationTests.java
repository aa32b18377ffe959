package org.malipo.gateway.callback;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.sandbox.SandboxServer;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 22's rails over HTTP against real PostgreSQL, Redis, Kafka and the sandbox simulators,
 * which call the gateway back on its own port: each test number and card reaches its stated final
 * status (the no-callback numbers through the status query), a forged callback changes nothing,
 * and a refund through a rail without a refund API is {@code refund_not_supported} with nothing
 * reserved.
 */
class RegionalRailsIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final Duration FINAL_WITHIN = Duration.ofSeconds(20);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired SandboxServer sandbox;
  @Autowired RailCallbackTokens tokens;
  @Autowired org.malipo.gateway.rail.ResilienceRegistries resilience;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
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

  private JsonNode mobile(String operator, String msisdn, long amount, String currency) {
    return created(MobileMoneyIntegrationTests.mobilePayment(operator, msisdn, amount, currency));
  }

  private JsonNode get(String id) {
    return json.readTree(web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
  }

  private JsonNode awaitFinal(String id) {
    long deadline = System.nanoTime() + FINAL_WITHIN.toNanos();
    JsonNode payment = get(id);
    while (System.nanoTime() < deadline && List.of("pending", "processing").contains(payment.get("status").asString())) {
      sleep(100);
      payment = get(id);
    }
    return payment;
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB);
  }

  private String railReference(String paymentId) {
    return db.sql("SELECT rail_reference FROM payment_attempts WHERE payment_id = :id ORDER BY started_at DESC LIMIT 1")
        .bind("id", paymentId).map(row -> row.get(0, String.class)).one().block(DB);
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

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private WebTestClient.ResponseSpec refund(String paymentId) {
    return web.post().uri("/v1/payments/" + paymentId + "/refunds").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{}").exchange();
  }

  // --- Airtel Money ------------------------------------------------------------------------------

  @Test
  void airtelTestNumbersReachTheirFinalStatuses() {
    JsonNode ok = mobile("airtel", "+254733000000", 15_000, "KES");
    assertThat(ok.get("status").asString()).isEqualTo("pending");
    assertThat(ok.get("provider").asString()).isEqualTo("airtel");
    String cancelled = mobile("airtel", "+254733000001", 15_000, "KES").get("id").asString();
    String silent = mobile("airtel", "+254733000003", 15_000, "KES").get("id").asString();
    String uganda = mobile("airtel", "+256750000000", 5_000, "UGX").get("id").asString();

    assertThat(awaitFinal(ok.get("id").asString()).get("status").asString()).isEqualTo("succeeded");
    assertThat(awaitFinal(uganda).get("status").asString()).isEqualTo("succeeded");
    JsonNode refused = awaitFinal(cancelled);
    assertThat(refused.get("status").asString()).isEqualTo("failed");
    assertThat(refused.get("failure").get("code").asString()).isEqualTo("customer_cancelled");
    JsonNode timedOut = awaitFinal(silent);
    assertThat(timedOut.get("status").asString()).isEqualTo("failed");
    assertThat(timedOut.get("failure").get("code").asString()).isEqualTo("timeout");
    assertThat(count("SELECT count(*) FROM inbox WHERE rail_reference = :id", railReference(silent))).isZero();
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'capture'",
        ok.get("id").asString())).isEqualTo(1);
  }

  @Test
  void airtelInputIsCheckedBeforeAnyRailCall() {
    pay(MobileMoneyIntegrationTests.mobilePayment("airtel", "+254733000000", 15_050, "KES")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("amount_invalid");
    pay(MobileMoneyIntegrationTests.mobilePayment("airtel", "+254733000000", 15_000, "UGX")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("currency_unsupported");
    pay(MobileMoneyIntegrationTests.mobilePayment("airtel", "+254708374149", 15_000, "KES")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.param").isEqualTo("payment_method.msisdn");
  }

  @Test
  void aForgedAirtelSuccessForAFailedPaymentChangesNothing() {
    String id = mobile("airtel", "+254733000001", 20_000, "KES").get("id").asString();
    assertThat(awaitFinal(id).get("status").asString()).isEqualTo("failed");
    String reference = railReference(id);

    web.post().uri("/v1/callbacks/airtel/" + tokens.airtelToken()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(sandbox.regional().airtelCallback(reference, "TS")).exchange().expectStatus().isOk();
    web.post().uri("/v1/callbacks/airtel/not-the-token").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(sandbox.regional().airtelCallback(reference, "TS")).exchange().expectStatus().isNotFound();

    assertThat(inboxVerdictOfLast("\"status_code\":\"TS\"")).isEqualTo("rejected");
    assertThat(get(id).get("status").asString()).isEqualTo("failed");
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", id)).isZero();
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'payment.succeeded'", id)).isZero();
  }

  @Test
  void anAirtelRefundIsNotSupportedAndReservesNothing() {
    String id = mobile("airtel", "+254733000000", 10_000, "KES").get("id").asString();
    assertThat(awaitFinal(id).get("status").asString()).isEqualTo("succeeded");

    refund(id).expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("refund_not_supported");
    assertThat(count("SELECT count(*) FROM refunds WHERE payment_id = :id", id)).isZero();
    assertThat(count("SELECT refunded_minor FROM payments WHERE id = :id", id)).isZero();
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'refund'", id)).isZero();
  }

  // --- Orange Money ------------------------------------------------------------------------------

  @Test
  void orangeTestNumbersReachTheirFinalStatuses() {
    JsonNode ivorian = mobile("orange", "+2250707000000", 5_000, "XOF");
    assertThat(ivorian.get("status").asString()).isEqualTo("pending");
    assertThat(ivorian.get("provider").asString()).isEqualTo("orange");
    String poor = mobile("orange", "+2250707000001", 5_000, "XOF").get("id").asString();
    String senegalese = mobile("orange", "+221770000000", 2_500, "XOF").get("id").asString();

    assertThat(awaitFinal(ivorian.get("id").asString()).get("status").asString()).isEqualTo("succeeded");
    assertThat(awaitFinal(senegalese).get("status").asString()).isEqualTo("succeeded");
    JsonNode failed = awaitFinal(poor);
    assertThat(failed.get("status").asString()).isEqualTo("failed");
    assertThat(failed.get("failure").get("code").asString()).isEqualTo("insufficient_funds");
    assertThat(count("SELECT amount_minor FROM payments WHERE id = :id", senegalese)).isEqualTo(2_500);
  }

  @Test
  void orangeTakesXofAndXafOnlyAndAForgedNotificationChangesNothing() {
    pay(MobileMoneyIntegrationTests.mobilePayment("orange", "+2250707000000", 5_000, "KES")).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("currency_unsupported");
    String id = mobile("orange", "+2250707000001", 7_000, "XOF").get("id").asString();
    assertThat(awaitFinal(id).get("status").asString()).isEqualTo("failed");
    String payToken = railReference(id);

    web.post().uri("/v1/callbacks/orange/" + tokens.orangeToken() + "?ref=forged").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(sandbox.regional().orangeNotification(payToken, "SUCCESSFULL")).exchange().expectStatus().isOk();

    assertThat(inboxVerdictOfLast(payToken + "\",\"status\":\"SUCCESSFULL")).isEqualTo("rejected");
    assertThat(get(id).get("status").asString()).isEqualTo("failed");
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", id)).isZero();
    refund(id).expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("payment_not_refundable");
  }

  // --- Paystack --------------------------------------------------------------------------------

  private JsonNode card(String number, long amount, String currency) {
    return created("""
        {"amount": %d, "currency": "%s", "reference": "order-9", "payment_method": {"type": "card", "number": "%s",
         "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(amount, currency, number));
  }

  @Test
  void paystackTestCardsReachTheirFinalStatusesAndRefundThroughPaystack() {
    JsonNode approved = card("4084084084084081", 250_000, "NGN");
    assertThat(approved.get("status").asString()).isEqualTo("succeeded");
    assertThat(approved.get("provider").asString()).isEqualTo("paystack");
    JsonNode declined = card("4084080000005408", 250_000, "NGN");
    assertThat(declined.get("status").asString()).isEqualTo("failed");
    assertThat(declined.get("failure").get("code").asString()).isEqualTo("card_declined");
    JsonNode cedis = card("4084084084084081", 10_000, "GHS");
    assertThat(cedis.get("status").asString()).isEqualTo("succeeded");
    assertThat(cedis.get("provider").asString()).isEqualTo("paystack");

    String id = approved.get("id").asString();
    JsonNode refund = json.readTree(web.post().uri("/v1/payments/" + id + "/refunds")
        .headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"amount\": 100000}").exchange()
        .expectStatus().isCreated().expectBody().returnResult().getResponseBody());
    assertThat(refund.get("status").asString()).isEqualTo("succeeded");
    assertThat(count("SELECT refunded_minor FROM payments WHERE id = :id", id)).isEqualTo(100_000);
  }

  @Test
  void paystackGhanaWalletsReachTheirFinalStatuses() {
    JsonNode telecel = mobile("telecel", "+233200000000", 1_000, "GHS");
    assertThat(telecel.get("status").asString()).isEqualTo("pending");
    assertThat(telecel.get("provider").asString()).isEqualTo("paystack");
    String cancelled = mobile("telecel", "+233200000001", 1_000, "GHS").get("id").asString();
    JsonNode mtn = mobile("mtn_momo", "+233240000000", 1_000, "GHS");
    assertThat(mtn.get("provider").asString()).isEqualTo("paystack");

    assertThat(awaitFinal(telecel.get("id").asString()).get("status").asString()).isEqualTo("succeeded");
    assertThat(awaitFinal(mtn.get("id").asString()).get("status").asString()).isEqualTo("succeeded");
    JsonNode failed = awaitFinal(cancelled);
    assertThat(failed.get("status").asString()).isEqualTo("failed");
    assertThat(failed.get("failure").get("code").asString()).isEqualTo("customer_cancelled");
  }

  @Test
  void aForgedPaystackWebhookIsRefusedAndChangesNothing() {
    String id = mobile("telecel", "+233200000001", 3_000, "GHS").get("id").asString();
    String reference = railReference(id);
    byte[] forged = sandbox.regional().paystackSuccessEvent(reference, 3_000, "GHS");

    web.post().uri("/v1/callbacks/paystack").contentType(MediaType.APPLICATION_JSON)
        .header("x-paystack-signature", "00" + org.malipo.gateway.sandbox.RegionalSimulators.paystackSignature(forged).substring(2))
        .bodyValue(forged).exchange().expectStatus().isUnauthorized()
        .expectBody().jsonPath("$.code").isEqualTo("unauthorized");
    web.post().uri("/v1/callbacks/paystack").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(forged).exchange().expectStatus().isUnauthorized();
    assertThat(count("SELECT count(*) FROM inbox WHERE body LIKE '%' || :id || '%'", reference)).isZero();

    // Signed with the right key, but the rail's verify says otherwise: rejected, nothing applied.
    web.post().uri("/v1/callbacks/paystack").contentType(MediaType.APPLICATION_JSON)
        .header("x-paystack-signature", org.malipo.gateway.sandbox.RegionalSimulators.paystackSignature(forged))
        .bodyValue(forged).exchange().expectStatus().isOk();
    assertThat(awaitFinal(id).get("status").asString()).isEqualTo("failed");
    assertThat(inboxVerdictOfLast(reference)).isEqualTo("rejected");
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", id)).isZero();
  }

  // --- Flutterwave -----------------------------------------------------------------------------

  @Test
  void aFlutterwaveCardSucceedsAndRefundsThroughFlutterwave() {
    String card = """
        {"amount": 250000, "currency": "NGN", "payment_method": {"type": "card", "number": "5531886652142950",
         "exp_month": 9, "exp_year": 2032, "cvc": "564"}}""";
    JsonNode first = created(card);
    assertThat(first.get("status").asString()).isEqualTo("succeeded");
    assertThat(first.get("provider").asString()).as("Paystack first for NGN").isEqualTo("paystack");

    resilience.circuitBreakers().circuitBreaker("paystack").transitionToOpenState();
    JsonNode payment;
    try {
      payment = created(card);
    } finally {
      resilience.circuitBreakers().circuitBreaker("paystack").transitionToClosedState();
    }
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    assertThat(payment.get("provider").asString()).isEqualTo("flutterwave");
    String id = payment.get("id").asString();
    JsonNode refund = json.readTree(web.post().uri("/v1/payments/" + id + "/refunds")
        .headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"amount\": 50050}").exchange()
        .expectStatus().isCreated().expectBody().returnResult().getResponseBody());
    assertThat(refund.get("status").asString()).isEqualTo("succeeded");
    assertThat(count("SELECT refunded_minor FROM payments WHERE id = :id", id)).isEqualTo(50_050);
  }

  @Test
  void anUnavailableOperatorRailFailsOverToFlutterwave() {
    resilience.circuitBreakers().circuitBreaker("airtel").transitionToOpenState();
    resilience.circuitBreakers().circuitBreaker("orange").transitionToOpenState();
    try {
      JsonNode airtel = mobile("airtel", "+256750000000", 5_000, "UGX");
      assertThat(airtel.get("provider").asString()).isEqualTo("flutterwave");
      JsonNode orange = mobile("orange", "+2250707000000", 5_000, "XOF");
      assertThat(orange.get("provider").asString()).isEqualTo("flutterwave");
      JsonNode poor = mobile("orange", "+2250707000001", 5_000, "XOF");

      assertThat(awaitFinal(airtel.get("id").asString()).get("status").asString()).isEqualTo("succeeded");
      assertThat(awaitFinal(orange.get("id").asString()).get("status").asString()).isEqualTo("succeeded");
      JsonNode failed = awaitFinal(poor.get("id").asString());
      assertThat(failed.get("status").asString()).isEqualTo("failed");
      assertThat(failed.get("failure").get("code").asString()).isEqualTo("insufficient_funds");
      // Kenyan Airtel wallets have no second route: nothing serves them while Airtel is out.
      JsonNode kenyan = mobile("airtel", "+254733000000", 15_000, "KES");
      assertThat(kenyan.get("status").asString()).isEqualTo("failed");
      assertThat(kenyan.get("failure").get("code").asString()).isEqualTo("provider_unavailable");
    } finally {
      resilience.circuitBreakers().circuitBreaker("airtel").transitionToClosedState();
      resilience.circuitBreakers().circuitBreaker("orange").transitionToClosedState();
    }
  }

  @Test
  void airtelRefusingEveryPushSendsUgandanWalletsToFlutterwave() {
    sandbox.faults().set("airtel", new org.malipo.gateway.sandbox.SandboxFaults.Fault(Duration.ZERO, true));
    try {
      JsonNode payment = mobile("airtel", "+256750000000", 5_000, "UGX");
      assertThat(payment.get("provider").asString()).isEqualTo("flutterwave");
      assertThat(payment.get("attempts").asInt()).as("Airtel refused, Flutterwave took it").isEqualTo(2);
      assertThat(awaitFinal(payment.get("id").asString()).get("status").asString()).isEqualTo("succeeded");
    } finally {
      sandbox.faults().clear();
    }
  }

  @Test
  void aForgedFlutterwaveWebhookIsRefusedAndChangesNothing() {
    resilience.circuitBreakers().circuitBreaker("orange").transitionToOpenState();
    String id;
    try {
      id = mobile("orange", "+2250707000001", 6_000, "XOF").get("id").asString();
    } finally {
      resilience.circuitBreakers().circuitBreaker("orange").transitionToClosedState();
    }
    String flutterwaveId = railReference(id);
    byte[] forged = sandbox.regional().flutterwaveEvent(flutterwaveId, "att_forged", new java.math.BigDecimal(6_000), "XOF",
        "successful");

    web.post().uri("/v1/callbacks/flutterwave").contentType(MediaType.APPLICATION_JSON)
        .header("verif-hash", "not-the-hash").bodyValue(forged).exchange().expectStatus().isUnauthorized();
    web.post().uri("/v1/callbacks/flutterwave").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(forged).exchange().expectStatus().isUnauthorized();
    assertThat(count("SELECT count(*) FROM inbox WHERE body LIKE '%' || :id || '%'", "att_forged")).isZero();

    web.post().uri("/v1/callbacks/flutterwave").contentType(MediaType.APPLICATION_JSON)
        .header("verif-hash", org.malipo.gateway.sandbox.RegionalSimulators.FLUTTERWAVE_SECRET_HASH).bodyValue(forged).exchange().expectStatus().isOk();
    assertThat(awaitFinal(id).get("status").asString()).isEqualTo("failed");
    assertThat(inboxVerdictOfLast("att_forged")).isEqualTo("rejected");
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", id)).isZero();
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
