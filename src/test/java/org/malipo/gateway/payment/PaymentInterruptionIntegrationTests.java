package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.MobileMoneyPayer;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRegistry;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.sandbox.SandboxFaults;
import org.malipo.gateway.sandbox.SandboxServer;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.TestMerchants;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.JsonNode;

/**
 * A payment is a durable process (issue 18, docs/adr/0065-payment-lifecycle.md): whatever
 * interrupts the request that started it (a client that hangs up, an instance that dies before
 * or during the rail call), it reaches a final status, is charged at most once, and a retry with
 * the same key returns it.
 */
class PaymentInterruptionIntegrationTests extends IntegrationTest {

  private static final Duration FINAL = Duration.ofSeconds(30);
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String CARD_PAYMENT = """
      {"amount": 1500, "currency": "KES", "reference": "order-hangup", "payment_method": {"type": "card",
       "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired SandboxServer sandbox;
  @Autowired IdempotencyStore idempotency;
  @Autowired PaymentRepository payments;
  @Autowired OutboxWriter outbox;
  @Autowired RailRegistry rails;
  @Autowired org.malipo.gateway.callback.CallbackProperties callbacks;
  @LocalServerPort int port;

  @AfterEach
  void clearFaults() {
    sandbox.faults().clear();
  }

  @Test
  void aPaymentWhoseClientHungUpRunsToSucceededAndARetryWithItsKeyReturnsIt() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    SandboxFaults.Fault slow = new SandboxFaults.Fault(Duration.ofMillis(1_500), false);
    sandbox.faults().set("acquirer_a", slow);
    sandbox.faults().set("acquirer_b", slow);
    String key = UUID.randomUUID().toString();
    // A phone on a train: the client gives up after 300 ms and closes its connection.
    WebClient impatient = WebClient.builder().baseUrl("http://127.0.0.1:" + port)
        .clientConnector(new ReactorClientHttpConnector(HttpClient.create().responseTimeout(Duration.ofMillis(300))))
        .build();

    assertThatThrownBy(() -> impatient.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(CARD_PAYMENT)
        .retrieve().bodyToMono(String.class).block(Duration.ofSeconds(5)))
        .as("the client hung up before the answer").isNotNull();

    JsonNode payment = awaitFinal(merchant, key);
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    assertThat(payment.get("attempts").asInt()).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'capture'",
        payment.get("id").asString())).isEqualTo(1);
    pay(merchant, key).expectStatus().isCreated()
        .expectHeader().valueEquals("Idempotent-Replayed", "true")
        .expectBody().jsonPath("$.id").isEqualTo(payment.get("id").asString())
        .jsonPath("$.status").isEqualTo("succeeded");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aPaymentLeftWithoutAnAttemptByACrashFailsUnchargedAndItsKeyHoldsTheFinalAnswer() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    Payment crashed = claimed(merchant.merchantId());
    ageBy(crashed.id(), Duration.ofSeconds(10));

    JsonNode payment = awaitFinalById(merchant, crashed.id());
    assertThat(payment.get("status").asString()).isEqualTo("failed");
    assertThat(payment.get("failure").get("code").asString()).isEqualTo("provider_unavailable");
    assertThat(payment.get("attempts").asInt()).isZero();
    assertThat(storedAnswer(merchant.merchantId(), crashed.idempotencyKey())).contains("\"status\":\"failed\"");
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", crashed.id())).isZero();
  }

  @Test
  void aPaymentWhoseInstanceDiedDuringTheRailCallIsSettledByTheStatusQueryAndNeverResent() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    Payment claimed = claimed(merchant.merchantId());
    Payment started = PaymentRows.startAttempt(payments, claimed, "acquirer_a");
    String attemptId = PaymentPipeline.attemptId(started.id(), 1);
    // The acquirer authorized; the instance died before it could record the answer.
    RailOutcome charged = rails.byName("acquirer_a").orElseThrow().authorize(new RailRequest(started.id(), attemptId,
        started.merchantId(), started.amount(), new CardData("4242424242424242", 12, 2030, "123"), null)).block(WAIT);
    assertThat(charged).isInstanceOf(RailOutcome.Approved.class);
    ageBy(started.id(), Duration.ofSeconds(10));

    JsonNode payment = awaitFinalById(merchant, started.id());
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    assertThat(payment.get("attempts").asInt()).as("never re-sent, never failed over").isEqualTo(1);
    assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id AND outcome = 'approved'"
        + " AND rail_reference = '" + ((RailOutcome.Approved) charged).railReference() + "'", started.id())).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'capture'", started.id()))
        .isEqualTo(1);
    assertThat(storedAnswer(merchant.merchantId(), started.idempotencyKey())).contains("\"status\":\"succeeded\"");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void anStkPushWhoseAnswerWasLostIsSettledByItsCallbackNotOrphaned() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    Payment claimed = claimed(merchant.merchantId(), null, new MobileWallet("mpesa", "+254708374149"));
    Payment started = PaymentRows.startAttempt(payments, claimed, "mpesa");
    String attemptId = PaymentPipeline.attemptId(started.id(), 1);
    // The push reached Daraja (the customer is prompted) but its answer, the CheckoutRequestID,
    // never came back: the attempt knows no rail reference. The callback URL carries the attempt id.
    RailOutcome pushed = rails.byName("mpesa").orElseThrow().authorize(new RailRequest(started.id(), attemptId,
        started.merchantId(), started.amount(), new MobileMoneyPayer(MobileMoneyOperator.MPESA, "+254708374149"), null))
        .block(WAIT);
    assertThat(pushed).isInstanceOf(RailOutcome.Pending.class);

    JsonNode payment = awaitFinalById(merchant, started.id());
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    assertThat(count("SELECT count(*) FROM inbox WHERE payment_id = :id AND verdict = 'applied'", started.id())).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id AND outcome = 'approved'"
        + " AND rail_reference = '" + ((RailOutcome.Pending) pushed).railReference() + "'", started.id())).isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aSuccessTheRailNeverConfirmsBecomesAnOperatorExceptionWithTheMoneyInSuspenseNeverAFailure() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    String operator = TestMerchants.create(db, clients, web, "admin").token();
    Payment claimed = claimed(merchant.merchantId(), null, new MobileWallet("mpesa", "+254708374149"));
    Payment started = PaymentRows.startAttempt(payments, claimed, "mpesa");
    String attemptId = PaymentPipeline.attemptId(started.id(), 1);
    // A success reported for the attempt under a CheckoutRequestID the STK query cannot confirm.
    byte[] success = sandbox.stkSuccessCallback("ws_CO_unconfirmed_" + UUID.randomUUID(), 15, "254708374149");
    web.post().uri("/v1/callbacks/mpesa/" + callbacks.mpesaToken() + "?ref=" + attemptId)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(success).exchange().expectStatus().isOk();

    // Re-checked, not rejected after a few tries (the test profile's window is 3 s, production's 24 h).
    long deadline = System.nanoTime() + FINAL.toNanos();
    while (System.nanoTime() < deadline && count("SELECT count(*) FROM payment_exceptions WHERE payment_id = :id"
        + " AND kind = 'unconfirmed_success'", started.id()) == 0) {
      pause();
    }
    assertThat(count("SELECT count(*) FROM payment_exceptions WHERE payment_id = :id AND kind = 'unconfirmed_success'"
        + " AND suspense_entry IS NOT NULL AND resolved_at IS NULL", started.id())).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'suspense'", started.id()))
        .isEqualTo(1);
    assertThat(count("SELECT count(*) FROM payments WHERE id = :id AND status = 'processing'", started.id()))
        .as("never a silent failed").isEqualTo(1);
    web.get().uri("/v1/exceptions?status=open&limit=100").headers(h -> h.setBearerAuth(operator)).exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.data[?(@.payment_id == '" + started.id() + "' && @.kind == 'unconfirmed_success')]")
        .exists();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  /** A payment as the claim writes it: key in progress, payment processing, its created event. */
  private Payment claimed(String merchantId) {
    return claimed(merchantId, new MaskedCard("visa", "424242", "4242", "fp-crash"), null);
  }

  private Payment claimed(String merchantId, MaskedCard card, MobileWallet wallet) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Payment payment = new Payment(Ids.next("pay"), merchantId, UUID.randomUUID().toString(), PaymentStatus.PROCESSING,
        new Money(1_500, CurrencyUnit.KES), new Money(0, CurrencyUnit.KES), "order-crash", null, Map.of(),
        card, wallet, null, null, null, 0, now, now);
    PaymentRows.claim(db, idempotency, payments, outbox, payment);
    return payment;
  }

  /** The crash happened a while ago: the reconciler's first check is due. */
  private void ageBy(String paymentId, Duration age) {
    db.sql("UPDATE payments SET updated_at = updated_at - CAST(:ms AS bigint) * interval '1 millisecond' WHERE id = :id")
        .bind("ms", age.toMillis()).bind("id", paymentId).then().block(WAIT);
  }

  private JsonNode awaitFinal(TestMerchants.TestMerchant merchant, String key) {
    long deadline = System.nanoTime() + FINAL.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode page = web.get().uri(u -> u.path("/v1/payments").queryParam("idempotency_key", key).build())
          .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk()
          .expectBody(JsonNode.class).returnResult().getResponseBody();
      if (!page.get("data").isEmpty() && isFinal(page.get("data").get(0))) {
        return page.get("data").get(0);
      }
      pause();
    }
    throw new AssertionError("no final payment for key " + key + " within " + FINAL);
  }

  private JsonNode awaitFinalById(TestMerchants.TestMerchant merchant, String id) {
    long deadline = System.nanoTime() + FINAL.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode payment = web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token())).exchange()
          .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
      if (isFinal(payment)) {
        return payment;
      }
      pause();
    }
    throw new AssertionError("payment " + id + " not final within " + FINAL);
  }

  private static boolean isFinal(JsonNode payment) {
    String status = payment.get("status").asString();
    return status.equals("succeeded") || status.equals("failed");
  }

  private static void pause() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private String storedAnswer(String merchantId, String key) {
    return db.sql("SELECT state || ' ' || response_body AS answer FROM idempotency_keys WHERE merchant_id = :m AND idempotency_key = :k")
        .bind("m", merchantId).bind("k", key).map(row -> row.get("answer", String.class)).one().block(WAIT);
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("id", id).map(row -> row.get(0, Long.class)).one().block(WAIT);
  }

  private WebTestClient.ResponseSpec pay(TestMerchants.TestMerchant merchant, String idempotencyKey) {
    return web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", idempotencyKey).contentType(MediaType.APPLICATION_JSON).bodyValue(CARD_PAYMENT)
        .exchange();
  }
}
