package org.malipo.gateway.checkout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.auth.PublishableKeys;
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
 * Checkout sessions end to end through the API (issue 19): the merchant creates, reads, lists and
 * expires sessions with its secret credential; the client tokenizes and confirms with the
 * publishable key and the client secret. Real PostgreSQL, Redis, Kafka and the sandbox rails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckoutSessionIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final String APPROVED = "4242424242424242";
  private static final String DECLINED = "4000000000000002";

  @Autowired private DatabaseClient db;
  @Autowired private ApiClients clients;
  @Autowired private PublishableKeys publishableKeys;
  @Autowired private JsonMapper json;

  private TestMerchant merchant;
  private String pk;

  @BeforeAll
  void merchantWithAPublishableKey() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
    pk = publishableKeys.create(merchant.merchantId(), false).block(DB);
  }

  @Test
  void createsAnOpenSessionWithItsClientSecretAndUrl() {
    JsonNode session = create("{\"amount\": 150000, \"currency\": \"KES\", \"reference\": \"order-1\"}");
    assertThat(session.get("id").asString()).startsWith("cs_");
    assertThat(session.get("object").asString()).isEqualTo("checkout_session");
    assertThat(session.get("status").asString()).isEqualTo("open");
    assertThat(session.get("client_secret").asString()).startsWith(session.get("id").asString() + "_secret_");
    assertThat(session.get("url").asString()).endsWith("/checkout/" + session.get("id").asString() + "#"
        + session.get("client_secret").asString());
    assertThat(session.get("livemode").asBoolean()).isFalse();
    assertThat(session.get("payment").isNull()).isTrue();
    assertThat(session.get("capture_method").asString()).isEqualTo("automatic");
    Instant expiresAt = Instant.parse(session.get("expires_at").asString());
    assertThat(expiresAt).isBetween(Instant.now().plusSeconds(1700), Instant.now().plusSeconds(1900));
    assertThat(json.readTree(merchantGet("/v1/checkout_sessions/" + session.get("id").asString())
        .expectStatus().isOk().expectBody().returnResult().getResponseBody()).get("id").asString())
        .isEqualTo(session.get("id").asString());
  }

  @Test
  void replaysTheSameSessionForTheSameIdempotencyKey() {
    String key = UUID.randomUUID().toString();
    String body = "{\"amount\": 1000, \"currency\": \"KES\"}";
    JsonNode first = json.readTree(post(merchant.token(), "/v1/checkout_sessions", body, key).expectStatus().isCreated()
        .expectBody().returnResult().getResponseBody());
    post(merchant.token(), "/v1/checkout_sessions", body, key).expectStatus().isCreated()
        .expectHeader().valueEquals("Idempotent-Replayed", "true")
        .expectBody().jsonPath("$.id").isEqualTo(first.get("id").asString());
    post(merchant.token(), "/v1/checkout_sessions", "{\"amount\": 2000, \"currency\": \"KES\"}", key)
        .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("idempotency_key_reused");
    assertThat(db.sql("SELECT count(*) FROM checkout_sessions WHERE idempotency_key = :k").bind("k", key)
        .map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1);
  }

  @Test
  void refusesBadInputAndWritesNothing() {
    for (String[] bad : List.of(
        new String[] {"{\"amount\": 1000, \"currency\": \"KES\", \"expires_in_seconds\": 59}", "expires_in_seconds"},
        new String[] {"{\"amount\": 1000, \"currency\": \"KES\", \"expires_in_seconds\": 86401}", "expires_in_seconds"},
        new String[] {"{\"amount\": 1000, \"currency\": \"KES\", \"capture_method\": \"later\"}", "capture_method"},
        new String[] {"{\"amount\": 1000, \"currency\": \"KES\", \"capture_method\": \"manual\","
            + " \"payment_method_types\": [\"card\", \"mobile_money\"]}", "capture_method"},
        new String[] {"{\"amount\": 1000, \"currency\": \"KES\", \"payment_method_types\": [\"bank\"]}", "payment_method_types"},
        new String[] {"{\"amount\": 1000, \"currency\": \"KES\", \"success_url\": \"javascript:alert(1)\"}", "success_url"})) {
      String key = UUID.randomUUID().toString();
      post(merchant.token(), "/v1/checkout_sessions", bad[0], key).expectStatus().isBadRequest()
          .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo(bad[1]);
      assertThat(db.sql("SELECT count(*) FROM checkout_sessions WHERE idempotency_key = :k").bind("k", key)
          .map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
    }
    post(merchant.token(), "/v1/checkout_sessions", "{\"amount\": 0, \"currency\": \"KES\"}", UUID.randomUUID().toString())
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("amount_invalid");
    post(merchant.token(), "/v1/checkout_sessions", "{\"amount\": 1000, \"currency\": \"KES\"}", null)
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("idempotency_key_missing");
  }

  @Test
  void clientSeesOnlyTheListedFieldsAndAWrongSecretIsNotFound() {
    JsonNode session = create("{\"amount\": 5000, \"currency\": \"KES\", \"reference\": \"secret-ref\","
        + " \"success_url\": \"https://shop.example/ok\"}");
    String id = session.get("id").asString();
    JsonNode view = json.readTree(clientGet(id, session.get("client_secret").asString()).expectStatus().isOk()
        .expectBody().returnResult().getResponseBody());
    List<String> names = new java.util.ArrayList<>();
    view.propertyNames().forEach(names::add);
    assertThat(names).containsExactlyInAnyOrder("id", "object", "status", "amount", "currency", "payment_method_types",
        "expires_at", "payment");
    clientGet(id, session.get("client_secret").asString() + "x").expectStatus().isNotFound()
        .expectBody().jsonPath("$.code").isEqualTo("not_found");
    clientGet(id, null).expectStatus().isNotFound();
  }

  @Test
  void publishableKeyOnAnyOtherRouteIsInsufficientScope() {
    for (String path : List.of("/v1/payments", "/v1/checkout_sessions", "/v1/events", "/v1/webhook_endpoints", "/v1/balance")) {
      web.get().uri(path).headers(h -> h.setBearerAuth(pk)).exchange()
          .expectStatus().isForbidden().expectBody().jsonPath("$.code").isEqualTo("insufficient_scope");
    }
    post(pk, "/v1/payments", card(APPROVED, 1000), UUID.randomUUID().toString())
        .expectStatus().isForbidden().expectBody().jsonPath("$.code").isEqualTo("insufficient_scope");
    post(pk, "/v1/checkout_sessions", "{\"amount\": 1000, \"currency\": \"KES\"}", UUID.randomUUID().toString())
        .expectStatus().isForbidden().expectBody().jsonPath("$.code").isEqualTo("insufficient_scope");
    web.get().uri("/v1/payments").headers(h -> h.setBearerAuth("pk_test_unknown")).exchange()
        .expectStatus().isUnauthorized().expectBody().jsonPath("$.code").isEqualTo("invalid_token");
  }

  @Test
  void confirmWithARawCardCompletesTheSessionAndEmitsCompleted() {
    JsonNode session = create("{\"amount\": 2500, \"currency\": \"KES\"}");
    String id = session.get("id").asString();
    JsonNode confirmed = confirm(id, session.get("client_secret").asString(), UUID.randomUUID().toString(),
        "{\"type\": \"card\", \"number\": \"" + APPROVED + "\", \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}")
        .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(confirmed.get("status").asString()).isEqualTo("complete");
    assertThat(confirmed.at("/payment/status").asString()).isEqualTo("succeeded");
    String paymentId = confirmed.at("/payment/id").asString();
    JsonNode payment = json.readTree(merchantGet("/v1/payments/" + paymentId).expectStatus().isOk().expectBody()
        .returnResult().getResponseBody());
    assertThat(payment.get("amount").asLong()).isEqualTo(2500);
    assertThat(db.sql("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'checkout.session.completed'")
        .bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1);
    // A complete session is never paid again, whatever the key.
    confirm(id, session.get("client_secret").asString(), UUID.randomUUID().toString(),
        "{\"type\": \"card\", \"number\": \"" + APPROVED + "\", \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}")
        .expectStatus().isEqualTo(409).expectBody().jsonPath("$.code").isEqualTo("checkout_session_complete");
    assertThat(db.sql("SELECT count(*) FROM payments WHERE merchant_id = :m AND id IN "
            + "(SELECT payment_id FROM checkout_sessions WHERE id = :id)")
        .bind("m", merchant.merchantId()).bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1);
  }

  @Test
  void aManualCaptureSessionCompletesWhenAuthorizedAndTheMerchantCapturesLater() {
    JsonNode session = create("{\"amount\": 10000, \"currency\": \"KES\", \"capture_method\": \"manual\"}");
    assertThat(session.get("capture_method").asString()).isEqualTo("manual");
    assertThat(session.get("payment_method_types")).extracting(JsonNode::asString).containsExactly("card");
    String id = session.get("id").asString();
    JsonNode confirmed = confirm(id, session.get("client_secret").asString(), UUID.randomUUID().toString(),
        "{\"type\": \"card\", \"number\": \"" + APPROVED + "\", \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}")
        .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(confirmed.get("status").asString()).isEqualTo("complete");
    assertThat(confirmed.at("/payment/status").asString()).isEqualTo("requires_capture");
    String paymentId = confirmed.at("/payment/id").asString();
    assertThat(db.sql("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'checkout.session.completed'")
        .bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1);

    post(merchant.token(), "/v1/payments/" + paymentId + "/capture", "{\"amount\": 6000}", UUID.randomUUID().toString())
        .expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("succeeded")
        .jsonPath("$.amount_captured").isEqualTo(6000);
    // The session stays complete: a captured (or canceled) payment never reopens it.
    merchantGet("/v1/checkout_sessions/" + id).expectStatus().isOk().expectBody()
        .jsonPath("$.status").isEqualTo("complete").jsonPath("$.payment.id").isEqualTo(paymentId);
  }

  @Test
  void aDeclineLeavesTheSessionOpenAndASecondTryWithATokenSucceeds() {
    JsonNode session = create("{\"amount\": 3000, \"currency\": \"KES\"}");
    String id = session.get("id").asString();
    String secret = session.get("client_secret").asString();
    String declineKey = UUID.randomUUID().toString();
    String declined = "{\"type\": \"card\", \"number\": \"" + DECLINED + "\", \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}";
    JsonNode first = confirm(id, secret, declineKey, declined).expectStatus().isOk().expectBody(JsonNode.class)
        .returnResult().getResponseBody();
    assertThat(first.get("status").asString()).isEqualTo("open");
    assertThat(first.at("/payment/status").asString()).isEqualTo("failed");
    assertThat(first.at("/payment/failure/code").asString()).isEqualTo("card_declined");
    // The same key replays the same payment: no second attempt is started.
    JsonNode replay = confirm(id, secret, declineKey, declined).expectStatus().isOk().expectBody(JsonNode.class)
        .returnResult().getResponseBody();
    assertThat(replay.at("/payment/id").asString()).isEqualTo(first.at("/payment/id").asString());
    String token = token(APPROVED);
    JsonNode second = confirm(id, secret, UUID.randomUUID().toString(), "{\"type\": \"card\", \"token\": \"" + token + "\"}")
        .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(second.get("status").asString()).isEqualTo("complete");
    assertThat(db.sql("SELECT payments_started FROM checkout_sessions WHERE id = :id").bind("id", id)
        .map(row -> row.get(0, Integer.class)).one().block(DB)).isEqualTo(2);
  }

  @Test
  void aTokenIsSingleUse() {
    String token = token(APPROVED);
    post(merchant.token(), "/v1/payments", "{\"amount\": 1200, \"currency\": \"KES\", \"payment_method\": "
        + "{\"type\": \"card\", \"token\": \"" + token + "\"}}", UUID.randomUUID().toString())
        .expectStatus().isCreated().expectBody().jsonPath("$.status").isEqualTo("succeeded")
        .jsonPath("$.payment_method.last4").isEqualTo("4242");
    post(merchant.token(), "/v1/payments", "{\"amount\": 1200, \"currency\": \"KES\", \"payment_method\": "
        + "{\"type\": \"card\", \"token\": \"" + token + "\"}}", UUID.randomUUID().toString())
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("token_invalid");
    post(merchant.token(), "/v1/payments", "{\"amount\": 1200, \"currency\": \"KES\", \"payment_method\": "
        + "{\"type\": \"card\", \"token\": \"tok_doesnotexist\"}}", UUID.randomUUID().toString())
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("token_invalid");
  }

  @Test
  void tokenAnswerShowsOnlyBrandLast4AndExpiry() {
    JsonNode token = json.readTree(post(pk, "/v1/tokens", "{\"card\": {\"number\": \"" + APPROVED
        + "\", \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}}", null).expectStatus().isCreated()
        .expectBody().returnResult().getResponseBody());
    assertThat(token.get("object").asString()).isEqualTo("token");
    assertThat(token.at("/card/last4").asString()).isEqualTo("4242");
    assertThat(token.toString()).doesNotContain(APPROVED).doesNotContain("\"123\"");
    assertThat(Instant.parse(token.get("expires_at").asString()))
        .isBetween(Instant.now().plusSeconds(840), Instant.now().plusSeconds(960));
    post(pk, "/v1/tokens", "{\"card\": {\"number\": \"4242424242424241\", \"exp_month\": 12, \"exp_year\": 2030,"
        + " \"cvc\": \"123\"}}", null).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.param").isEqualTo("card.number");
  }

  @Test
  void mobileMoneyIsPendingThenCompleteAfterTheCallback() throws InterruptedException {
    JsonNode session = create("{\"amount\": 10000, \"currency\": \"KES\"}");
    String id = session.get("id").asString();
    String secret = session.get("client_secret").asString();
    JsonNode confirmed = confirm(id, secret, UUID.randomUUID().toString(),
        "{\"type\": \"mobile_money\", \"operator\": \"mpesa\", \"msisdn\": \"+254708374149\"}")
        .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(confirmed.at("/payment/status").asString()).isIn("pending", "succeeded");
    String status = confirmed.get("status").asString();
    for (int i = 0; i < 100 && !"complete".equals(status); i++) {
      Thread.sleep(200);
      status = json.readTree(clientGet(id, secret).expectStatus().isOk().expectBody().returnResult().getResponseBody())
          .get("status").asString();
    }
    assertThat(status).isEqualTo("complete");
  }

  @Test
  void expireMovesAnOpenSessionOnceAndRefusesACompleteOne() {
    JsonNode session = create("{\"amount\": 1000, \"currency\": \"KES\"}");
    String id = session.get("id").asString();
    post(merchant.token(), "/v1/checkout_sessions/" + id + "/expire", null, null).expectStatus().isOk()
        .expectBody().jsonPath("$.status").isEqualTo("expired");
    post(merchant.token(), "/v1/checkout_sessions/" + id + "/expire", null, null).expectStatus().isOk()
        .expectBody().jsonPath("$.status").isEqualTo("expired");
    assertThat(db.sql("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'checkout.session.expired'")
        .bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1);
    clientGet(id, session.get("client_secret").asString()).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("checkout_session_expired");
    confirm(id, session.get("client_secret").asString(), UUID.randomUUID().toString(),
        "{\"type\": \"mobile_money\", \"operator\": \"mpesa\", \"msisdn\": \"+254708374149\"}")
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("checkout_session_expired");
  }

  @Test
  void theSweeperExpiresSessionsByTime() throws InterruptedException {
    JsonNode session = create("{\"amount\": 1000, \"currency\": \"KES\", \"expires_in_seconds\": 60}");
    String id = session.get("id").asString();
    db.sql("UPDATE checkout_sessions SET expires_at = now() - interval '1 second' WHERE id = :id").bind("id", id)
        .then().block(DB);
    String status = "open";
    for (int i = 0; i < 50 && !"expired".equals(status); i++) {
      Thread.sleep(200);
      status = db.sql("SELECT status FROM checkout_sessions WHERE id = :id").bind("id", id)
          .map(row -> row.get(0, String.class)).one().block(DB);
    }
    assertThat(status).isEqualTo("expired");
    assertThat(db.sql("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'checkout.session.expired'")
        .bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1);
  }

  @Test
  void atMostFivePaymentsPerSession() {
    JsonNode session = create("{\"amount\": 1000, \"currency\": \"KES\"}");
    String id = session.get("id").asString();
    String secret = session.get("client_secret").asString();
    String declined = "{\"type\": \"card\", \"number\": \"" + DECLINED + "\", \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}";
    for (int i = 0; i < 5; i++) {
      confirm(id, secret, UUID.randomUUID().toString(), declined).expectStatus().isOk();
    }
    confirm(id, secret, UUID.randomUUID().toString(), declined).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.code").isEqualTo("checkout_session_attempts_exhausted");
  }

  @Test
  void corsIsOpenOnClientRoutesWithoutCredentials() {
    JsonNode session = create("{\"amount\": 1000, \"currency\": \"KES\"}");
    web.get().uri("/v1/checkout_sessions/" + session.get("id").asString() + "?client_secret="
            + session.get("client_secret").asString())
        .header("Origin", "https://app.example").headers(h -> h.setBearerAuth(pk)).exchange()
        .expectStatus().isOk()
        .expectHeader().valueEquals("Access-Control-Allow-Origin", "*")
        .expectHeader().doesNotExist("Access-Control-Allow-Credentials");
  }

  private JsonNode create(String body) {
    return json.readTree(post(merchant.token(), "/v1/checkout_sessions", body, UUID.randomUUID().toString())
        .expectStatus().isCreated().expectBody().returnResult().getResponseBody());
  }

  private String token(String number) {
    return json.readTree(post(pk, "/v1/tokens", "{\"card\": {\"number\": \"" + number
        + "\", \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}}", null).expectStatus().isCreated()
        .expectBody().returnResult().getResponseBody()).get("id").asString();
  }

  private WebTestClient.ResponseSpec confirm(String id, String secret, String key, String paymentMethod) {
    return post(pk, "/v1/checkout_sessions/" + id + "/confirm",
        "{\"client_secret\": \"" + secret + "\", \"payment_method\": " + paymentMethod + "}", key);
  }

  private WebTestClient.ResponseSpec clientGet(String id, String secret) {
    return web.get().uri("/v1/checkout_sessions/" + id + (secret == null ? "" : "?client_secret=" + secret))
        .headers(h -> h.setBearerAuth(pk)).exchange();
  }

  private WebTestClient.ResponseSpec merchantGet(String path) {
    return web.get().uri(path).headers(h -> h.setBearerAuth(merchant.token())).exchange();
  }

  private String card(String number, long amount) {
    return "{\"amount\": " + amount + ", \"currency\": \"KES\", \"payment_method\": {\"type\": \"card\", \"number\": \""
        + number + "\", \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}}";
  }

  private WebTestClient.ResponseSpec post(String token, String path, String body, String idempotencyKey) {
    WebTestClient.RequestBodySpec request = web.post().uri(path).headers(h -> h.setBearerAuth(token));
    if (idempotencyKey != null) {
      request = request.header("Idempotency-Key", idempotencyKey);
    }
    return body == null ? request.exchange() : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }
}
