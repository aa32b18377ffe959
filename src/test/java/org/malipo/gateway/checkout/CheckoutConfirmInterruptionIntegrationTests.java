package org.malipo.gateway.checkout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.auth.PublishableKeys;
import org.malipo.gateway.sandbox.SandboxFaults;
import org.malipo.gateway.sandbox.SandboxServer;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Confirm is a durable, idempotent operation (issue 19): a client that hangs up, or an instance
 * that dies between two of confirm's writes, leaves a session that is paid at most once, reaches
 * {@code complete} (with its one event) when its payment succeeded, and answers a retry with the
 * same {@code Idempotency-Key} with that same payment.
 */
class CheckoutConfirmInterruptionIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final String CARD = "{\"type\": \"card\", \"number\": \"4242424242424242\", \"exp_month\": 12,"
      + " \"exp_year\": 2030, \"cvc\": \"123\"}";

  @Autowired private DatabaseClient db;
  @Autowired private ApiClients clients;
  @Autowired private PublishableKeys publishableKeys;
  @Autowired private SandboxServer sandbox;
  @Autowired private JsonMapper json;
  @LocalServerPort int port;

  private TestMerchant merchant;
  private String pk;

  @BeforeEach
  void merchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    pk = publishableKeys.create(merchant.merchantId(), false).block(DB);
  }

  @AfterEach
  void clearFaults() {
    sandbox.faults().clear();
  }

  @Test
  void aConfirmWhoseClientHungUpCompletesTheSessionAndARetryReturnsTheSamePayment() {
    JsonNode session = session();
    String id = session.get("id").asString();
    String secret = session.get("client_secret").asString();
    SandboxFaults.Fault slow = new SandboxFaults.Fault(Duration.ofMillis(1_500), false);
    sandbox.faults().set("acquirer_a", slow);
    sandbox.faults().set("acquirer_b", slow);
    String key = UUID.randomUUID().toString();
    WebClient impatient = WebClient.builder().baseUrl("http://127.0.0.1:" + port)
        .clientConnector(new ReactorClientHttpConnector(HttpClient.create().responseTimeout(Duration.ofMillis(300))))
        .build();
    assertThatThrownBy(() -> impatient.post().uri("/v1/checkout_sessions/" + id + "/confirm")
        .headers(h -> h.setBearerAuth(pk)).header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(confirmBody(secret, CARD)).retrieve().bodyToMono(String.class).block(Duration.ofSeconds(5)))
        .as("the client hung up before the answer").isNotNull();

    awaitStatus(id, "complete");
    JsonNode retried = confirm(id, secret, key, CARD).expectStatus().isOk().expectBody(JsonNode.class)
        .returnResult().getResponseBody();
    assertThat(retried.get("status").asString()).isEqualTo("complete");
    assertThat(retried.at("/payment/status").asString()).isEqualTo("succeeded");
    assertOnePaymentAndOneCompletedEvent(id);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aConfirmWhoseInstanceDiedBeforeThePaymentStartedIsReleasedAndItsRetryPaysOnce() {
    JsonNode session = session();
    String id = session.get("id").asString();
    String secret = session.get("client_secret").asString();
    String key = UUID.randomUUID().toString();
    // The first write of confirm committed (its row and the session's slot); the process died
    // before the payment's key was claimed.
    db.sql("INSERT INTO checkout_session_confirms (session_id, confirm_key, payment_key, created_at)"
            + " VALUES (:id, :key, :payment, now() - interval '2 minutes')")
        .bind("id", id).bind("key", key).bind("payment", ClientCheckout.paymentKey(id, key)).then().block(DB);
    db.sql("UPDATE checkout_sessions SET active_confirm_key = :key, payments_started = 1 WHERE id = :id")
        .bind("key", key).bind("id", id).then().block(DB);

    awaitSlotFree(id);
    JsonNode retried = confirm(id, secret, key, CARD).expectStatus().isOk().expectBody(JsonNode.class)
        .returnResult().getResponseBody();
    assertThat(retried.get("status").asString()).isEqualTo("complete");
    assertThat(db.sql("SELECT payments_started FROM checkout_sessions WHERE id = :id").bind("id", id)
        .map(row -> row.get(0, Integer.class)).one().block(DB)).as("the retry started no second payment").isEqualTo(1);
    assertOnePaymentAndOneCompletedEvent(id);
  }

  @Test
  void aConfirmWhoseInstanceDiedAfterThePaymentIsSettledByTheSweeper() {
    JsonNode session = session();
    String id = session.get("id").asString();
    String secret = session.get("client_secret").asString();
    String key = UUID.randomUUID().toString();
    String paymentKey = ClientCheckout.paymentKey(id, key);
    db.sql("INSERT INTO checkout_session_confirms (session_id, confirm_key, payment_key) VALUES (:id, :key, :payment)")
        .bind("id", id).bind("key", key).bind("payment", paymentKey).then().block(DB);
    db.sql("UPDATE checkout_sessions SET active_confirm_key = :key, payments_started = 1 WHERE id = :id")
        .bind("key", key).bind("id", id).then().block(DB);
    // The payment ran (it is detached from the request) but the session was never told.
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", paymentKey)
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"amount\": 4200, \"currency\": \"KES\", \"payment_method\": "
            + CARD + "}")
        .exchange().expectStatus().isCreated();

    awaitStatus(id, "complete");
    confirm(id, secret, key, CARD).expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("complete");
    confirm(id, secret, UUID.randomUUID().toString(), CARD).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.code").isEqualTo("checkout_session_complete");
    assertOnePaymentAndOneCompletedEvent(id);
  }

  private void assertOnePaymentAndOneCompletedEvent(String id) {
    assertThat(db.sql("SELECT count(*) FROM payments p JOIN checkout_session_confirms c ON p.idempotency_key = c.payment_key"
            + " AND p.merchant_id = :m WHERE c.session_id = :id").bind("m", merchant.merchantId()).bind("id", id)
        .map(row -> row.get(0, Long.class)).one().block(DB)).as("paid once").isEqualTo(1);
    assertThat(db.sql("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'checkout.session.completed'")
        .bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1);
  }

  private void awaitStatus(String id, String status) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String now = null;
    while (System.nanoTime() < deadline) {
      now = db.sql("SELECT status FROM checkout_sessions WHERE id = :id").bind("id", id)
          .map(row -> row.get(0, String.class)).one().block(DB);
      if (status.equals(now)) {
        return;
      }
      pause();
    }
    assertThat(now).as("session %s status", id).isEqualTo(status);
  }

  private void awaitSlotFree(String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      Boolean free = db.sql("SELECT active_confirm_key IS NULL FROM checkout_sessions WHERE id = :id").bind("id", id)
          .map(row -> row.get(0, Boolean.class)).one().block(DB);
      if (Boolean.TRUE.equals(free)) {
        return;
      }
      pause();
    }
    throw new AssertionError("the abandoned confirm of " + id + " was never released");
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private JsonNode session() {
    return json.readTree(web.post().uri("/v1/checkout_sessions").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 4200, \"currency\": \"KES\"}")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody());
  }

  private static String confirmBody(String secret, String method) {
    return "{\"client_secret\": \"" + secret + "\", \"payment_method\": " + method + "}";
  }

  private WebTestClient.ResponseSpec confirm(String id, String secret, String key, String method) {
    return web.post().uri("/v1/checkout_sessions/" + id + "/confirm").headers(h -> h.setBearerAuth(pk))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(confirmBody(secret, method))
        .exchange();
  }
}
