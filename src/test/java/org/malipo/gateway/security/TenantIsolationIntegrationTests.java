package org.malipo.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.contract.OpenApiContract;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tenant isolation (INVARIANTS.md 18, OWASP API1): merchant A calls every operation of
 * {@code contracts/openapi.yaml} against merchant B's objects. Routes taking an id answer
 * {@code 404 not_found} exactly as for an id that does not exist; lists, the balance and creations
 * never show anything of B's. The operations come from the contract, so a new route without an
 * entry here fails this test until someone decides how it isolates merchants.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantIsolationIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final String CARD = """
      {"amount": %d, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
       "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""";

  /** Operations that are not the merchant's: operator-only, the rails' callbacks, public metadata. */
  private static final Set<String> NOT_MERCHANT_SCOPED = Set.of(
      "POST /v1/oauth/token", "GET /.well-known/jwks.json",
      "POST /v1/callbacks/mpesa/{token}", "POST /v1/callbacks/mtn-momo/{token}", "PUT /v1/callbacks/mtn-momo/{token}",
      "POST /v1/callbacks/mpesa/{token}/b2c/{kind}", "POST /v1/callbacks/mpesa/{token}/reversal/{kind}",
      "PUT /v1/callbacks/mtn-momo/{token}/disbursement", "POST /v1/callbacks/mtn-momo/{token}/disbursement",
      // Issue 22's rails.
      "POST /v1/callbacks/airtel/{token}", "POST /v1/callbacks/orange/{token}", "POST /v1/callbacks/paystack",
      "POST /v1/callbacks/flutterwave",
      // Issue 19's hosted page: no merchant credential; the session is found by its client secret.
      "GET /checkout/{id}", "GET /checkout/{id}/config",
      // The pages' static files: no data, no credential.
      "GET /assets/{app}/{file}",
      // Issue 20's 3-D Secure pages: the customer's browser has no credential; the signed result
      // is the authority and the unguessable payment id names the page.
      "GET /sandbox/acs/{payment_id}", "POST /sandbox/acs/{payment_id}", "GET /three_d_secure/callback",
      "GET /three_d_secure/{payment_id}/result",
      // Issue 24's console page and its session (login with an operator's or regulator's credentials).
      "GET /console", "POST /console/session", "GET /console/session", "DELETE /console/session");

  @Autowired private DatabaseClient db;
  @Autowired private ApiClients clients;
  @Autowired private JsonMapper json;
  @Autowired private org.malipo.gateway.ledger.SettlementJob settlement;

  private TestMerchant a;
  private TestMerchant b;
  private String bClient;
  private String bPayment;
  private String bPaymentKey;
  private String bRefund;
  private String bEndpoint;
  private String bPayout;
  private String bPayoutKey;
  private static final String PAYOUT = """
      {"amount": 1000, "currency": "KES", "destination": {"type": "mobile_money", "operator": "mpesa",
       "msisdn": "+254708374149"}}""";
  private String bEvent;
  private String bSession;
  private String bSessionKey;

  @BeforeAll
  void merchantBWithOneOfEverything() throws Exception {
    a = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write",
        "payouts:write", "payouts:read");
    b = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write",
        "payouts:write", "payouts:read");
    bClient = SignedJWT.parse(b.token()).getJWTClaimsSet().getSubject();
    bPaymentKey = "tenant-b-" + UUID.randomUUID();
    bPayment = id(post(b, "/v1/payments", CARD.formatted(5000), bPaymentKey).expectStatus().isCreated());
    bRefund = id(post(b, "/v1/payments/" + bPayment + "/refunds", "{\"amount\": 1000}", UUID.randomUUID().toString())
        .expectStatus().isCreated());
    settlement.settleDue(java.time.Duration.ZERO, b.merchantId()).block(DB);
    bPayoutKey = "tenant-b-payout-" + UUID.randomUUID();
    bPayout = id(post(b, "/v1/payouts", PAYOUT, bPayoutKey).expectStatus().isCreated());
    bEndpoint = id(post(b, "/v1/webhook_endpoints",
        "{\"url\":\"https://merchant-b.example/hooks\",\"events\":[\"payment.succeeded\"]}", null)
        .expectStatus().isCreated());
    bSessionKey = "tenant-b-session-" + UUID.randomUUID();
    bSession = id(post(b, "/v1/checkout_sessions", "{\"amount\": 1000, \"currency\": \"KES\"}", bSessionKey)
        .expectStatus().isCreated());
    bEvent = db.sql("SELECT event_id FROM outbox WHERE merchant_id = :m ORDER BY event_id LIMIT 1")
        .bind("m", b.merchantId()).map(row -> row.get("event_id", String.class)).one().block(DB);
    assertThat(bEvent).as("B's payment produced an event").isNotNull();
    // A has objects of its own, so its lists are not trivially empty.
    post(a, "/v1/payments", CARD.formatted(700), UUID.randomUUID().toString()).expectStatus().isCreated();
    post(a, "/v1/webhook_endpoints", "{\"url\":\"https://merchant-a.example/hooks\",\"events\":[\"payment.failed\"]}",
        null).expectStatus().isCreated();
  }

  /** Every operation of the contract, {@code "GET /v1/payments/{id}"}. */
  Stream<String> operations() {
    Set<String> operations = new TreeSet<>();
    OpenApiContract.get().model().getPaths().forEach((path, item) ->
        item.readOperationsMap().keySet().forEach(method -> operations.add(method.name() + " " + path)));
    return operations.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("operations")
  void merchantACannotSeeOrTouchMerchantBsObjects(String operation) {
    if (operation.contains(" /actuator") || NOT_MERCHANT_SCOPED.contains(operation)) {
      return; // not reachable with a merchant's data: no merchant id in play
    }
    switch (operation) {
      case "GET /v1/payments/{id}" -> notFound(get("/v1/payments/" + bPayment));
      case "POST /v1/payments/{id}/refunds" ->
          notFound(post(a, "/v1/payments/" + bPayment + "/refunds", "{\"amount\": 100}", UUID.randomUUID().toString()));
      case "GET /v1/payments/{id}/refunds" -> notFound(get("/v1/payments/" + bPayment + "/refunds"));
      case "POST /v1/payments/{id}/capture" ->
          notFound(post(a, "/v1/payments/" + bPayment + "/capture", "{}", UUID.randomUUID().toString()));
      case "POST /v1/payments/{id}/cancel" ->
          notFound(post(a, "/v1/payments/" + bPayment + "/cancel", "{}", UUID.randomUUID().toString()));
      case "GET /v1/webhook_endpoints/{id}" -> notFound(get("/v1/webhook_endpoints/" + bEndpoint));
      case "DELETE /v1/webhook_endpoints/{id}" ->
          notFound(web.delete().uri("/v1/webhook_endpoints/" + bEndpoint).headers(h -> h.setBearerAuth(a.token())).exchange());
      case "POST /v1/webhook_endpoints/{id}/rotate_secret" ->
          notFound(post(a, "/v1/webhook_endpoints/" + bEndpoint + "/rotate_secret", null, null));
      case "GET /v1/webhook_endpoints/{id}/deliveries" -> notFound(get("/v1/webhook_endpoints/" + bEndpoint + "/deliveries"));
      case "POST /v1/events/{id}/redeliver" -> notFound(post(a, "/v1/events/" + bEvent + "/redeliver", null, null));
      case "GET /v1/payments" -> {
        showsNothingOfB(get("/v1/payments?limit=100").expectStatus().isOk());
        String byKey = showsNothingOfB(get("/v1/payments?idempotency_key=" + bPaymentKey).expectStatus().isOk());
        assertThat(json.readTree(byKey).get("data")).as("B's idempotency key finds nothing for A").isEmpty();
        showsNothingOfB(get("/v1/payments?starting_after=" + bPayment).expectStatus().isBadRequest());
      }
      case "POST /v1/payments" -> {
        // B's Idempotency-Key and body: A gets a payment of its own, never B's stored answer.
        String created = showsNothingOfB(post(a, "/v1/payments", CARD.formatted(5000), bPaymentKey).expectStatus().isCreated());
        assertThat(json.readTree(created).get("id").asString()).isNotEqualTo(bPayment);
      }
      case "GET /v1/balance" -> {
        String balance = showsNothingOfB(get("/v1/balance").expectStatus().isOk());
        json.readTree(balance).get("currencies").forEach(currency -> assertThat(
            currency.get("pending").asLong() + currency.get("available").asLong())
            .as("A's only capture is 700 minor units; B's 5,000 must not show").isLessThanOrEqualTo(700));
      }
      case "GET /v1/payouts/{id}" -> notFound(get("/v1/payouts/" + bPayout));
      case "GET /v1/payouts" -> {
        showsNothingOfB(get("/v1/payouts?limit=100").expectStatus().isOk());
        showsNothingOfB(get("/v1/payouts?starting_after=" + bPayout).expectStatus().isBadRequest());
      }
      case "POST /v1/payouts" ->
          // B's Idempotency-Key and body: never B's stored answer; A's own (empty) balance decides.
          showsNothingOfB(post(a, "/v1/payouts", PAYOUT, bPayoutKey).expectStatus().isEqualTo(422));
      case "GET /v1/webhook_endpoints" -> showsNothingOfB(get("/v1/webhook_endpoints").expectStatus().isOk());
      case "POST /v1/webhook_endpoints" -> showsNothingOfB(post(a, "/v1/webhook_endpoints",
          "{\"url\":\"https://merchant-a.example/other\",\"events\":[\"refund.succeeded\"]}", null).expectStatus().isCreated());
      case "GET /v1/events" -> {
        showsNothingOfB(get("/v1/events?limit=100").expectStatus().isOk());
        showsNothingOfB(get("/v1/events?starting_after=" + bEvent).expectStatus().isBadRequest());
      }
      // Issue 19: checkout sessions; the client-side routes refuse a secret credential outright.
      case "GET /v1/checkout_sessions/{id}" -> notFound(get("/v1/checkout_sessions/" + bSession));
      case "POST /v1/checkout_sessions/{id}/expire" ->
          notFound(post(a, "/v1/checkout_sessions/" + bSession + "/expire", null, null));
      case "GET /v1/checkout_sessions" -> {
        showsNothingOfB(get("/v1/checkout_sessions?limit=100").expectStatus().isOk());
        showsNothingOfB(get("/v1/checkout_sessions?starting_after=" + bSession).expectStatus().isBadRequest());
      }
      case "POST /v1/checkout_sessions" -> {
        String created = showsNothingOfB(post(a, "/v1/checkout_sessions", "{\"amount\": 1000, \"currency\": \"KES\"}",
            bSessionKey).expectStatus().isCreated());
        assertThat(json.readTree(created).get("id").asString()).isNotEqualTo(bSession);
      }
      case "POST /v1/checkout_sessions/{id}/confirm" -> forbidden(post(a, "/v1/checkout_sessions/" + bSession + "/confirm",
          "{\"client_secret\": \"x\", \"payment_method\": {\"type\": \"mobile_money\", \"operator\": \"mpesa\","
              + " \"msisdn\": \"+254708374149\"}}", UUID.randomUUID().toString()));
      case "POST /v1/tokens" -> forbidden(post(a, "/v1/tokens",
          "{\"card\": {\"number\": \"4242424242424242\", \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}}",
          null));
      // Operator routes: a merchant's token is refused, whoever's object it names.
      case "POST /v1/merchants" -> forbidden(post(a, "/v1/merchants", "{\"name\":\"X\",\"country\":\"KE\"}", null));
      case "GET /v1/ledger/trial_balance" -> forbidden(get("/v1/ledger/trial_balance"));
      case "GET /v1/audit_events" -> forbidden(get("/v1/audit_events?actor=" + bClient));
      case "GET /v1/exceptions" -> forbidden(get("/v1/exceptions"));
      // Issue 24: the console's operator routes.
      case "GET /v1/admin/payments" -> forbidden(get("/v1/admin/payments?merchant_id=" + b.merchantId()));
      case "GET /v1/admin/payments/{id}/timeline" -> forbidden(get("/v1/admin/payments/" + bPayment + "/timeline"));
      case "GET /v1/admin/callbacks" -> forbidden(get("/v1/admin/callbacks"));
      case "GET /v1/admin/webhook_deliveries" -> forbidden(get("/v1/admin/webhook_deliveries"));
      case "POST /v1/admin/webhook_deliveries/{id}/redeliver" -> forbidden(post(a, "/v1/admin/webhook_deliveries/whd_x/redeliver",
          null, null));
      case "POST /v1/admin/callbacks/{id}/dismiss" -> forbidden(post(a, "/v1/admin/callbacks/1/dismiss",
          "{\"note\": \"n\"}", null));
      case "POST /v1/admin/callbacks/{id}/reprocess" -> forbidden(post(a, "/v1/admin/callbacks/1/reprocess", null, null));
      case "GET /v1/admin/reports/latency" -> forbidden(get("/v1/admin/reports/latency?from=2026-01-01&to=2026-01-01"));
      case "POST /v1/clients/{id}/revoke" -> forbidden(post(a, "/v1/clients/" + bClient + "/revoke", null, null));
      case "PUT /v1/sandbox/rails/{rail}/faults" -> forbidden(web.put().uri("/v1/sandbox/rails/acquirer_a/faults")
          .headers(h -> h.setBearerAuth(a.token())).contentType(MediaType.APPLICATION_JSON)
          .bodyValue("{\"latency_ms\": 2000, \"fail\": true}").exchange());
      // Issue 23: operator routes refuse a merchant's token; settlements are the merchant's own.
      case "POST /v1/reconciliation/runs" -> forbidden(web.post().uri("/v1/reconciliation/runs?rail=mpesa")
          .headers(h -> h.setBearerAuth(a.token())).contentType(MediaType.parseMediaType("text/csv")).bodyValue("x").exchange());
      case "GET /v1/reconciliation/runs/{id}" -> forbidden(get("/v1/reconciliation/runs/rec_x"));
      case "GET /v1/reconciliation/runs/{id}/items" -> forbidden(get("/v1/reconciliation/runs/rec_x/items"));
      case "POST /v1/exceptions/{id}/resolve" -> forbidden(post(a, "/v1/exceptions/exc_x/resolve",
          "{\"action\": \"write_off\", \"note\": \"n\"}", null));
      case "GET /v1/sandbox/rails/{rail}/statement" -> forbidden(get("/v1/sandbox/rails/mpesa/statement?date=2026-01-01"));
      case "GET /v1/reports/trial_balance.csv" -> forbidden(get("/v1/reports/trial_balance.csv?date=2026-01-01"));
      case "GET /v1/reports/volumes.csv" -> forbidden(get("/v1/reports/volumes.csv?from=2026-01-01&to=2026-01-01"));
      case "GET /v1/fx_rates" -> forbidden(get("/v1/fx_rates"));
      case "POST /v1/fx_rates" -> forbidden(web.post().uri("/v1/fx_rates").headers(h -> h.setBearerAuth(a.token()))
          .contentType(MediaType.parseMediaType("text/csv")).bodyValue("base,quote,rate,as_of,source\n").exchange());
      case "GET /v1/merchants/{id}/pricing" -> forbidden(get("/v1/merchants/" + b.merchantId() + "/pricing"));
      case "PUT /v1/merchants/{id}/pricing" -> forbidden(web.put().uri("/v1/merchants/" + b.merchantId() + "/pricing")
          .headers(h -> h.setBearerAuth(a.token())).contentType(MediaType.APPLICATION_JSON)
          .bodyValue("{\"card\": {\"percent_bp\": 0}}").exchange());
      case "PUT /v1/merchants/{id}/settlement_schedule" -> forbidden(web.put()
          .uri("/v1/merchants/" + b.merchantId() + "/settlement_schedule").headers(h -> h.setBearerAuth(a.token()))
          .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"frequency\": \"daily\", \"delay_days\": 0}").exchange());
      case "GET /v1/settlements" -> showsNothingOfB(get("/v1/settlements?limit=100").expectStatus().isOk());
      case "GET /v1/settlements/{id}/report.csv" -> {
        String bSettlement = db.sql("""
                INSERT INTO settlements (id, merchant_id, currency, settlement_date) VALUES (:id, :merchant, 'KES', DATE '2001-01-01')
                ON CONFLICT (merchant_id, currency, settlement_date) DO UPDATE SET currency = EXCLUDED.currency RETURNING id""")
            .bind("id", org.malipo.gateway.common.Ids.next("stl")).bind("merchant", b.merchantId())
            .map(row -> row.get("id", String.class)).first().block(java.time.Duration.ofSeconds(10));
        notFound(get("/v1/settlements/" + bSettlement + "/report.csv"));
        get(b, "/v1/settlements/" + bSettlement + "/report.csv").expectStatus().isOk();
      }
      default -> fail("No tenant-isolation entry for " + operation + ": add one to this matrix.");
    }
    // B's objects are unchanged by whatever A tried.
    get(b, "/v1/webhook_endpoints/" + bEndpoint).expectStatus().isOk();
    get(b, "/v1/payments/" + bPayment).expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("succeeded");
  }

  private void notFound(WebTestClient.ResponseSpec response) {
    showsNothingOfB(response.expectStatus().isNotFound().expectBody().jsonPath("$.code").isEqualTo("not_found"));
  }

  private void forbidden(WebTestClient.ResponseSpec response) {
    response.expectStatus().isForbidden().expectBody().jsonPath("$.code").isEqualTo("insufficient_scope");
  }

  private String showsNothingOfB(WebTestClient.BodyContentSpec body) {
    return showsNothingOfB(body.returnResult());
  }

  private String showsNothingOfB(WebTestClient.ResponseSpec response) {
    return showsNothingOfB(response.expectBody().returnResult());
  }

  /** The body, asserted free of B's merchant id and of every id of B's objects except the one A asked for. */
  private String showsNothingOfB(EntityExchangeResult<byte[]> result) {
    String body = result.getResponseBody() == null ? "" : new String(result.getResponseBody(), StandardCharsets.UTF_8);
    String asked = result.getUrl().getPath() + "?" + result.getUrl().getQuery();
    for (String secret : List.of(b.merchantId(), bPayment, bRefund, bEndpoint, bEvent, bClient, bPayout, bSession)) {
      if (!asked.contains(secret)) {
        assertThat(body).as("%s %s shows %s", result.getMethod(), asked, secret).doesNotContain(secret);
      }
    }
    assertThat(body).doesNotContain("merchant-b.example");
    return body;
  }

  private WebTestClient.ResponseSpec get(String path) {
    return get(a, path);
  }

  private WebTestClient.ResponseSpec get(TestMerchant as, String path) {
    return web.get().uri(path).headers(h -> h.setBearerAuth(as.token())).exchange();
  }

  private WebTestClient.ResponseSpec post(TestMerchant as, String path, String body, String idempotencyKey) {
    WebTestClient.RequestBodySpec request = web.post().uri(path).headers(h -> h.setBearerAuth(as.token()));
    if (idempotencyKey != null) {
      request = request.header("Idempotency-Key", idempotencyKey);
    }
    return body == null ? request.exchange() : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  private String id(WebTestClient.ResponseSpec created) {
    return json.readTree(created.expectBody().returnResult().getResponseBody()).get("id").asString();
  }
}
