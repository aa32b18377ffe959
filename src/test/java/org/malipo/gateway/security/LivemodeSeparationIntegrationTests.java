package org.malipo.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Test and live mode (issue 19, docs/adr/0078-test-and-live-mode.md): one merchant with a test
 * client and a live client. Each route is called with one mode's credential against the other
 * mode's objects: by id it is {@code 404 not_found} exactly like an unknown id, and lists never
 * show the other mode's objects. In the test profile every rail is a test rail, so a live payment
 * finds no rail: it fails {@code provider_unavailable} and nothing is charged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LivemodeSeparationIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final String CARD = """
      {"amount": %d, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
       "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""";
  private static final List<String> SCOPES = List.of("payments:write", "payments:read", "refunds:write",
      "payouts:write", "payouts:read");
  private static final String PAYOUT = """
      {"amount": 1000, "currency": "KES", "destination": {"type": "mobile_money", "operator": "mpesa",
       "msisdn": "+254708374149"}}""";

  @Autowired private DatabaseClient db;
  @Autowired private ApiClients clients;
  @Autowired private JsonMapper json;
  @Autowired private org.malipo.gateway.ledger.SettlementJob settlement;
  @Autowired private org.malipo.gateway.auth.PublishableKeys publishableKeys;

  private String merchantId;
  private String testToken;
  private String liveToken;
  private Mode test;
  private Mode live;
  private String testPayout;

  /** One mode's objects. */
  private record Mode(String token, String payment, String paymentKey, String refund, String endpoint, String event) {}

  @BeforeAll
  void oneMerchantWithObjectsInBothModes() {
    merchantId = TestMerchants.create(db, clients, web, SCOPES.toArray(String[]::new)).merchantId();
    ApiClients.Credentials testClient = clients.register(merchantId, SCOPES, false).block(DB);
    ApiClients.Credentials liveClient = clients.register(merchantId, SCOPES, true).block(DB);
    testToken = TestMerchants.token(web, testClient.clientId(), testClient.clientSecret());
    liveToken = TestMerchants.token(web, liveClient.clientId(), liveClient.clientSecret());
    test = objects(testToken, "test");
    live = objects(liveToken, "live");
    settlement.settleDue(Duration.ZERO, merchantId).block(DB);
    testPayout = id(post(testToken, "/v1/payouts", PAYOUT, UUID.randomUUID().toString()).expectStatus().isCreated());
  }

  @Test
  void checkoutSessionsAndTokensOfTheOtherModeAreNotFoundOrInvalid() {
    String testPk = publishableKeys.create(merchantId, false).block(DB);
    String livePk = publishableKeys.create(merchantId, true).block(DB);
    assertThat(livePk).startsWith("pk_live_");
    JsonNode testSession = body(post(testToken, "/v1/checkout_sessions", "{\"amount\": 1000, \"currency\": \"KES\"}",
        UUID.randomUUID().toString()).expectStatus().isCreated());
    JsonNode liveSession = body(post(liveToken, "/v1/checkout_sessions", "{\"amount\": 1000, \"currency\": \"KES\"}",
        UUID.randomUUID().toString()).expectStatus().isCreated());
    assertThat(testSession.get("livemode").asBoolean()).isFalse();
    assertThat(liveSession.get("livemode").asBoolean()).isTrue();
    for (JsonNode[] pair : new JsonNode[][] {{testSession, liveSession}, {liveSession, testSession}}) {
      String otherId = pair[1].get("id").asString();
      String token = pair[0].get("livemode").asBoolean() ? liveToken : testToken;
      String pk = pair[0].get("livemode").asBoolean() ? livePk : testPk;
      get(token, "/v1/checkout_sessions/" + otherId).expectStatus().isNotFound()
          .expectBody().jsonPath("$.code").isEqualTo("not_found");
      post(token, "/v1/checkout_sessions/" + otherId + "/expire", null, null).expectStatus().isNotFound();
      assertThat(new String(get(token, "/v1/checkout_sessions?limit=100").expectStatus().isOk().expectBody()
          .returnResult().getResponseBody(), StandardCharsets.UTF_8)).doesNotContain(otherId);
      get(pk, "/v1/checkout_sessions/" + otherId + "?client_secret=" + pair[1].get("client_secret").asString())
          .expectStatus().isNotFound();
      post(pk, "/v1/checkout_sessions/" + otherId + "/confirm", "{\"client_secret\": \""
          + pair[1].get("client_secret").asString() + "\", \"payment_method\": {\"type\": \"mobile_money\","
          + " \"operator\": \"mpesa\", \"msisdn\": \"+254708374149\"}}", UUID.randomUUID().toString())
          .expectStatus().isNotFound();
    }
    // A test token is useless to a live credential, and the reverse.
    String testTok = body(post(testPk, "/v1/tokens", "{\"card\": {\"number\": \"4242424242424242\", \"exp_month\": 12,"
        + " \"exp_year\": 2030, \"cvc\": \"123\"}}", null).expectStatus().isCreated()).get("id").asString();
    post(liveToken, "/v1/payments", "{\"amount\": 1000, \"currency\": \"KES\", \"payment_method\": {\"type\": \"card\","
        + " \"token\": \"" + testTok + "\"}}", UUID.randomUUID().toString()).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("token_invalid");
    JsonNode liveTok = body(post(livePk, "/v1/tokens", "{\"card\": {\"number\": \"4242424242424242\", \"exp_month\": 12,"
        + " \"exp_year\": 2030, \"cvc\": \"123\"}}", null).expectStatus().isCreated());
    assertThat(liveTok.get("livemode").asBoolean()).isTrue();
    post(testToken, "/v1/payments", "{\"amount\": 1000, \"currency\": \"KES\", \"payment_method\": {\"type\": \"card\","
        + " \"token\": \"" + liveTok.get("id").asString() + "\"}}", UUID.randomUUID().toString())
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("token_invalid");
  }

  @Test
  void payoutsOfTheOtherModeAreNotFoundAndALiveCredentialReachesNoSandboxRail() {
    get(liveToken, "/v1/payouts/" + testPayout).expectStatus().isNotFound()
        .expectBody().jsonPath("$.code").isEqualTo("not_found");
    String list = new String(get(liveToken, "/v1/payouts?limit=100").expectStatus().isOk().expectBody().returnResult()
        .getResponseBody(), StandardCharsets.UTF_8);
    assertThat(list).doesNotContain(testPayout);
    get(liveToken, "/v1/payouts?starting_after=" + testPayout).expectStatus().isBadRequest();
    post(liveToken, "/v1/payouts", PAYOUT, UUID.randomUUID().toString()).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo("destination.operator");
    get(testToken, "/v1/payouts/" + testPayout).expectStatus().isOk().expectBody().jsonPath("$.livemode").isEqualTo(false);
  }

  private Mode objects(String token, String name) {
    String key = name + "-" + UUID.randomUUID();
    String payment = id(post(token, "/v1/payments", CARD.formatted(5000), key).expectStatus().isCreated());
    String refund = name.equals("test")
        ? id(post(token, "/v1/payments/" + payment + "/refunds", "{\"amount\": 1000}", UUID.randomUUID().toString())
            .expectStatus().isCreated())
        : null;
    String endpoint = id(post(token, "/v1/webhook_endpoints",
        "{\"url\":\"https://" + name + ".merchant.example/hooks\",\"events\":[\"payment.failed\"]}", null)
        .expectStatus().isCreated());
    String event = db.sql("SELECT event_id FROM outbox WHERE aggregate_id = :p ORDER BY event_id LIMIT 1")
        .bind("p", payment).map(row -> row.get("event_id", String.class)).one().block(DB);
    return new Mode(token, payment, key, refund, endpoint, event);
  }

  @Test
  void everyObjectCarriesItsCredentialsMode() {
    JsonNode testPayment = body(get(testToken, "/v1/payments/" + test.payment()).expectStatus().isOk());
    assertThat(testPayment.get("livemode").asBoolean()).isFalse();
    assertThat(testPayment.get("status").asString()).isEqualTo("succeeded");
    JsonNode livePayment = body(get(liveToken, "/v1/payments/" + live.payment()).expectStatus().isOk());
    assertThat(livePayment.get("livemode").asBoolean()).isTrue();
    assertThat(livePayment.get("status").asString()).as("no live rail in the test profile").isEqualTo("failed");
    assertThat(livePayment.at("/failure/code").asString()).isEqualTo("provider_unavailable");
    assertThat(body(get(testToken, "/v1/payments/" + test.payment() + "/refunds").expectStatus().isOk())
        .at("/data/0/livemode").asBoolean()).isFalse();
    assertThat(body(get(liveToken, "/v1/webhook_endpoints/" + live.endpoint()).expectStatus().isOk())
        .get("livemode").asBoolean()).isTrue();
    assertThat(db.sql("SELECT count(*) FROM outbox WHERE aggregate_id = :p AND payload::jsonb ->> 'livemode' = 'true'"
        + " AND livemode").bind("p", live.payment()).map(row -> row.get(0, Long.class)).one().block(DB))
        .as("the live payment's events are live, in the column and the envelope").isGreaterThanOrEqualTo(2);
    assertThat(db.sql("SELECT count(*) FROM outbox WHERE aggregate_id = :p AND (livemode OR payload::jsonb ->> 'livemode' <> 'false')")
        .bind("p", test.payment()).map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
  }

  @Test
  void getPaymentOfTheOtherModeIsNotFound() {
    notFound(get(liveToken, "/v1/payments/" + test.payment()), test);
    notFound(get(testToken, "/v1/payments/" + live.payment()), live);
  }

  @Test
  void listPaymentsShowsOneModeOnly() {
    showsNothingOf(test, get(liveToken, "/v1/payments?limit=100").expectStatus().isOk());
    showsNothingOf(live, get(testToken, "/v1/payments?limit=100").expectStatus().isOk());
    showsNothingOf(test, get(liveToken, "/v1/payments?idempotency_key=" + test.paymentKey()).expectStatus().isOk());
    showsNothingOf(test, get(liveToken, "/v1/payments?starting_after=" + test.payment()).expectStatus().isBadRequest());
  }

  @Test
  void createPaymentWithTheOtherModesKeyNeverReplaysIt() {
    showsNothingOf(test, post(liveToken, "/v1/payments", CARD.formatted(5000), test.paymentKey())
        .expectStatus().isEqualTo(422));
    showsNothingOf(live, post(testToken, "/v1/payments", CARD.formatted(5000), live.paymentKey())
        .expectStatus().isEqualTo(422));
  }

  @Test
  void refundsOfTheOtherModesPaymentAreNotFound() {
    notFound(post(liveToken, "/v1/payments/" + test.payment() + "/refunds", "{\"amount\": 100}",
        UUID.randomUUID().toString()), test);
    notFound(get(liveToken, "/v1/payments/" + test.payment() + "/refunds"), test);
    notFound(post(testToken, "/v1/payments/" + live.payment() + "/refunds", "{\"amount\": 100}",
        UUID.randomUUID().toString()), live);
    notFound(get(testToken, "/v1/payments/" + live.payment() + "/refunds"), live);
  }

  @Test
  void webhookEndpointsOfTheOtherModeAreNotFound() {
    for (Mode[] pair : new Mode[][] {{test, live}, {live, test}}) {
      String token = pair[1].token();
      Mode other = pair[0];
      notFound(get(token, "/v1/webhook_endpoints/" + other.endpoint()), other);
      notFound(get(token, "/v1/webhook_endpoints/" + other.endpoint() + "/deliveries"), other);
      notFound(post(token, "/v1/webhook_endpoints/" + other.endpoint() + "/rotate_secret", null, null), other);
      notFound(web.delete().uri("/v1/webhook_endpoints/" + other.endpoint()).headers(h -> h.setBearerAuth(token))
          .exchange(), other);
      showsNothingOf(other, get(token, "/v1/webhook_endpoints").expectStatus().isOk());
    }
    get(testToken, "/v1/webhook_endpoints/" + test.endpoint()).expectStatus().isOk();
    get(liveToken, "/v1/webhook_endpoints/" + live.endpoint()).expectStatus().isOk();
  }

  @Test
  void eventsOfTheOtherModeAreNotFound() {
    notFound(post(liveToken, "/v1/events/" + test.event() + "/redeliver", null, null), test);
    notFound(post(testToken, "/v1/events/" + live.event() + "/redeliver", null, null), live);
    showsNothingOf(test, get(liveToken, "/v1/events?limit=100").expectStatus().isOk());
    showsNothingOf(live, get(testToken, "/v1/events?limit=100").expectStatus().isOk());
    showsNothingOf(test, get(liveToken, "/v1/events?starting_after=" + test.event()).expectStatus().isBadRequest());
  }

  @Test
  void accessTokensCarryTheirClientsMode() throws Exception {
    assertThat(com.nimbusds.jwt.SignedJWT.parse(liveToken).getJWTClaimsSet().getBooleanClaim("livemode")).isTrue();
    assertThat(com.nimbusds.jwt.SignedJWT.parse(testToken).getJWTClaimsSet().getBooleanClaim("livemode")).isFalse();
  }

  private void notFound(WebTestClient.ResponseSpec response, Mode other) {
    showsNothingOf(other, response.expectStatus().isNotFound().expectBody().jsonPath("$.code").isEqualTo("not_found")
        .returnResult());
  }

  private void showsNothingOf(Mode other, WebTestClient.ResponseSpec response) {
    showsNothingOf(other, response.expectBody().returnResult());
  }

  /** The body, free of every id of the other mode's objects except the one asked for. */
  private void showsNothingOf(Mode other, EntityExchangeResult<byte[]> result) {
    String body = result.getResponseBody() == null ? "" : new String(result.getResponseBody(), StandardCharsets.UTF_8);
    String asked = result.getUrl().getPath() + "?" + result.getUrl().getQuery();
    for (String id : new String[] {other.payment(), other.refund(), other.endpoint(), other.event()}) {
      if (id != null && !asked.contains(id)) {
        assertThat(body).as("%s %s shows %s", result.getMethod(), asked, id).doesNotContain(id);
      }
    }
  }

  private JsonNode body(WebTestClient.ResponseSpec response) {
    return json.readTree(response.expectBody().returnResult().getResponseBody());
  }

  private WebTestClient.ResponseSpec get(String token, String path) {
    return web.get().uri(path).headers(h -> h.setBearerAuth(token)).exchange();
  }

  private WebTestClient.ResponseSpec post(String token, String path, String body, String idempotencyKey) {
    WebTestClient.RequestBodySpec request = web.post().uri(path).headers(h -> h.setBearerAuth(token));
    if (idempotencyKey != null) {
      request = request.header("Idempotency-Key", idempotencyKey);
    }
    return body == null ? request.exchange() : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  private String id(WebTestClient.ResponseSpec created) {
    return json.readTree(created.expectBody().returnResult().getResponseBody()).get("id").asString();
  }
}
