package org.malipo.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.contract.OpenApiContract;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.BodyInserters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Mass assignment (OWASP API3:2023): on every write route of the contract, each field the client
 * may not set (state, provider, risk, fee, owner and ids, and the route's own read-only fields)
 * is refused with {@code 400 parameter_unknown} naming the field, and nothing is written. The
 * token endpoint is a form (RFC 6749 §3.2: unknown parameters are ignored), so there the test is
 * that a smuggled {@code merchant_id} or {@code mid} does not change the token's merchant.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MassAssignmentIntegrationTests extends IntegrationTest {

  /** Fields no write route accepts. */
  private static final List<String> ALWAYS_FORBIDDEN = List.of("status", "provider", "risk", "fee", "merchant_id", "id");

  /** Write routes whose bodies are not the merchant's JSON: the rails' own wire formats, and the token form. */
  private static final Set<String> NOT_JSON_WRITE_ROUTES = Set.of(
      "POST /v1/oauth/token", "POST /v1/callbacks/mpesa/{token}", "PUT /v1/callbacks/mtn-momo/{token}",
      "POST /v1/callbacks/mtn-momo/{token}", "POST /v1/callbacks/mpesa/{token}/b2c/{kind}",
      "POST /v1/callbacks/mpesa/{token}/reversal/{kind}", "PUT /v1/callbacks/mtn-momo/{token}/disbursement",
      "POST /v1/callbacks/mtn-momo/{token}/disbursement",
      // Issue 22's rails.
      "POST /v1/callbacks/airtel/{token}", "POST /v1/callbacks/orange/{token}", "POST /v1/callbacks/paystack",
      "POST /v1/callbacks/flutterwave",
      // Issue 23: the body is the rail's statement file (text/csv), not JSON.
      "POST /v1/reconciliation/runs",
      // The body is a rate file (text/csv), not JSON.
      "POST /v1/fx_rates",
      // Issue 19: takes no body at all (the contract defines none).
      "POST /v1/checkout_sessions/{id}/expire",
      // Issue 20: the sandbox challenge page's HTML form (application/x-www-form-urlencoded).
      "POST /sandbox/acs/{payment_id}",
      // Issue 24: the console login takes credentials only (JSON or form, like the token form) and writes no object.
      "POST /console/session");

  private static final String CARD = """
      {"type": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}""";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired org.malipo.gateway.auth.PublishableKeys publishableKeys;

  private TestMerchant merchant;
  private TestMerchant admin;
  private String paymentId;
  private String endpointId;
  private String eventId;
  private String victimClientId;
  private String sessionId;
  private String clientSecret;
  private String publishableKey;

  /** A route under test: its contract operation, a valid body, and its own read-only fields. */
  private record Route(String operation, Function<MassAssignmentIntegrationTests, String> uri, String validBody,
      List<String> readOnly, Who who) {
    Route(String operation, Function<MassAssignmentIntegrationTests, String> uri, String validBody,
        List<String> readOnly, boolean asAdmin) {
      this(operation, uri, validBody, readOnly, asAdmin ? Who.ADMIN : Who.MERCHANT);
    }

    @Override
    public String toString() {
      return operation;
    }
  }

  /** Whose credential a route is called with: the merchant's, the operator's, or the publishable key. */
  private enum Who { MERCHANT, ADMIN, PUBLISHABLE }

  private static final List<Route> ROUTES = List.of(
      new Route("POST /v1/payments", t -> "/v1/payments",
          "{\"amount\": 1000, \"currency\": \"KES\", \"payment_method\": " + CARD + "}",
          List.of("object", "attempts", "failure", "created_at", "updated_at", "payment_method.brand",
              "payment_method.bin", "payment_method.last4", "payment_method.fingerprint"), false),
      new Route("POST /v1/payments/{id}/refunds", t -> "/v1/payments/" + t.paymentId + "/refunds",
          "{\"amount\": 100}", List.of("payment_id", "currency", "object", "failure", "created_at", "updated_at"), false),
      new Route("POST /v1/merchants", t -> "/v1/merchants", "{\"name\": \"Duka\", \"country\": \"KE\"}",
          List.of("client_id", "client_secret", "scopes", "created_at"), true),
      new Route("POST /v1/webhook_endpoints", t -> "/v1/webhook_endpoints",
          "{\"url\": \"http://127.0.0.1:9/hooks\", \"events\": [\"refund.failed\"]}",
          List.of("secret", "enabled", "object", "created_at"), false),
      new Route("POST /v1/webhook_endpoints/{id}/rotate_secret", t -> "/v1/webhook_endpoints/" + t.endpointId + "/rotate_secret",
          "{}", List.of("secret", "previous_secret", "enabled"), false),
      new Route("POST /v1/events/{id}/redeliver", t -> "/v1/events/" + t.eventId + "/redeliver",
          "{}", List.of("endpoint_id", "event_id", "data"), false),
      new Route("POST /v1/clients/{id}/revoke", t -> "/v1/clients/" + t.victimClientId + "/revoke",
          "{}", List.of("revoked", "revoked_at", "client_id"), true),
      // A harmless valid body: should a field slip through, acquirer_a stays without faults.
      new Route("PUT /v1/sandbox/rails/{rail}/faults", t -> "/v1/sandbox/rails/acquirer_a/faults",
          "{\"latency_ms\": 0, \"fail\": false}", List.of("object", "rail"), true),
      new Route("POST /v1/payouts", t -> "/v1/payouts",
          "{\"amount\": 1000, \"currency\": \"KES\", \"destination\": {\"type\": \"mobile_money\","
              + " \"operator\": \"mpesa\", \"msisdn\": \"+254708374149\"}}",
          List.of("object", "livemode", "failure", "created_at", "updated_at"), false),
      // Issue 20: the payment is not requires_capture, but the body is refused before its state is read.
      new Route("POST /v1/payments/{id}/capture", t -> "/v1/payments/" + t.paymentId + "/capture", "{\"amount\": 100}",
          List.of("amount_captured", "captured"), false),
      new Route("POST /v1/payments/{id}/cancel", t -> "/v1/payments/" + t.paymentId + "/cancel",
          "{\"cancellation_reason\": \"requested_by_customer\"}", List.of("canceled_at"), false),
      // Issue 19: sessions with the merchant's credential, tokens and confirm with the publishable key.
      new Route("POST /v1/checkout_sessions", t -> "/v1/checkout_sessions", "{\"amount\": 1000, \"currency\": \"KES\"}",
          List.of("object", "client_secret", "url", "livemode", "payment", "expires_at"), false),
      new Route("POST /v1/checkout_sessions/{id}/confirm", t -> "/v1/checkout_sessions/" + t.sessionId + "/confirm",
          "{\"client_secret\": \"CLIENT_SECRET\", \"payment_method\": " + CARD + "}", List.of("payment", "object"),
          Who.PUBLISHABLE),
      new Route("POST /v1/tokens", t -> "/v1/tokens",
          "{\"card\": {\"number\": \"4242424242424242\", \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}}",
          List.of("object", "livemode", "used", "expires_at"), Who.PUBLISHABLE),
      // Issue 23: operator routes.
      new Route("POST /v1/exceptions/{id}/resolve", t -> "/v1/exceptions/exc_00000000000000000000000000000000/resolve",
          "{\"action\": \"write_off\", \"note\": \"mass assignment probe\"}", List.of("resolution", "resolved_at"), true),
      new Route("PUT /v1/merchants/{id}/pricing", t -> "/v1/merchants/" + t.merchant.merchantId() + "/pricing",
          "{\"card\": {\"percent_bp\": 250, \"fixed_minor\": 0}}", List.of("object", "updated_at"), true),
      new Route("PUT /v1/merchants/{id}/settlement_schedule",
          t -> "/v1/merchants/" + t.merchant.merchantId() + "/settlement_schedule",
          "{\"frequency\": \"daily\", \"delay_days\": 1}", List.of("object", "updated_at"), true),
      // Issue 24: the console's operator actions (unknown ids: the body is refused before the id is looked up).
      new Route("POST /v1/admin/webhook_deliveries/{id}/redeliver", t -> "/v1/admin/webhook_deliveries/whd_nope/redeliver",
          "{}", List.of("redelivery_of", "endpoint_id", "event_id", "manual"), true),
      new Route("POST /v1/admin/callbacks/{id}/dismiss", t -> "/v1/admin/callbacks/999999999999/dismiss",
          "{\"note\": \"mass assignment probe\"}", List.of("verdict", "dismissed_at", "dismissed_by", "payment_id"), true),
      new Route("POST /v1/admin/callbacks/{id}/reprocess", t -> "/v1/admin/callbacks/999999999999/reprocess",
          "{}", List.of("verdict", "reprocessed_at", "reprocessed_by"), true));

  @BeforeAll
  void merchantWithAPaymentAnEndpointAndAnEvent() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write",
        "payouts:write");
    admin = TestMerchants.create(db, clients, web, "admin");
    TestMerchant victim = TestMerchants.create(db, clients, web, "payments:read");
    victimClientId = db.sql("SELECT client_id FROM api_clients WHERE merchant_id = :m")
        .bind("m", victim.merchantId()).map(row -> row.get(0, String.class)).one().block(Duration.ofSeconds(10));
    byte[] payment = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(ROUTES.getFirst().validBody()).exchange().expectStatus().isCreated()
        .expectBody().returnResult().getResponseBody();
    paymentId = json.readTree(payment).get("id").asString();
    byte[] endpoint = web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue(ROUTES.get(3).validBody()).exchange()
        .expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    endpointId = json.readTree(endpoint).get("id").asString();
    eventId = db.sql("SELECT event_id FROM outbox WHERE merchant_id = :m ORDER BY event_id LIMIT 1")
        .bind("m", merchant.merchantId()).map(row -> row.get(0, String.class)).one().block(Duration.ofSeconds(10));
    JsonNode session = json.readTree(web.post().uri("/v1/checkout_sessions").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 1000, \"currency\": \"KES\"}").exchange().expectStatus().isCreated()
        .expectBody().returnResult().getResponseBody());
    sessionId = session.get("id").asString();
    clientSecret = session.get("client_secret").asString();
    publishableKey = publishableKeys.create(merchant.merchantId(), false).block(Duration.ofSeconds(10));
  }

  Stream<Arguments> forbiddenFields() {
    List<Arguments> cases = new ArrayList<>();
    for (Route route : ROUTES) {
      List<String> fields = new ArrayList<>(ALWAYS_FORBIDDEN);
      fields.addAll(route.readOnly());
      for (String field : fields) {
        cases.add(Arguments.of(route, field));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} with {1}")
  @MethodSource("forbiddenFields")
  void refusesEveryFieldTheClientMayNotSetAndWritesNothing(Route route, String field) {
    String before = stateOf();
    String body = withField(route.validBody().replace("CLIENT_SECRET", clientSecret), field);
    web.method(HttpMethod.valueOf(route.operation().substring(0, route.operation().indexOf(' '))))
        .uri(route.uri().apply(this))
        .headers(h -> h.setBearerAuth(switch (route.who()) {
          case MERCHANT -> merchant.token();
          case ADMIN -> admin.token();
          case PUBLISHABLE -> publishableKey;
        }))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.code").isEqualTo("parameter_unknown")
        .jsonPath("$.param").isEqualTo(field);
    assertThat(stateOf()).as("nothing written by %s with %s", route, field).isEqualTo(before);
  }

  @Test
  void everyJsonWriteRouteOfTheContractIsCovered() {
    Set<String> writeRoutes = new TreeSet<>();
    OpenApiContract.get().model().getPaths().forEach((path, item) -> item.readOperationsMap().keySet().stream()
        .filter(method -> Set.of("POST", "PUT", "PATCH").contains(method.name()))
        .forEach(method -> writeRoutes.add(method.name() + " " + path)));
    writeRoutes.removeAll(NOT_JSON_WRITE_ROUTES);
    assertThat(ROUTES.stream().map(Route::operation).toList())
        .as("write routes of contracts/openapi.yaml: add each new one to ROUTES")
        .containsExactlyInAnyOrderElementsOf(writeRoutes);
  }

  @Test
  void aMerchantIdSmuggledIntoTheTokenFormDoesNotChangeTheTokensMerchant() throws Exception {
    TestMerchant other = TestMerchants.create(db, clients, web, "payments:read");
    ApiClients.Credentials credentials = clients.register(merchant.merchantId(), List.of("payments:read"))
        .block(Duration.ofSeconds(10));
    Map<?, ?> answer = web.post().uri("/v1/oauth/token")
        .headers(h -> h.setBasicAuth(credentials.clientId(), credentials.clientSecret()))
        .contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .body(BodyInserters.fromFormData("grant_type", "client_credentials")
            .with("merchant_id", other.merchantId()).with("mid", other.merchantId()).with("sub", "cli_other"))
        .exchange().expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
    var claims = SignedJWT.parse((String) answer.get("access_token")).getJWTClaimsSet();
    assertThat(claims.getStringClaim("mid")).isEqualTo(merchant.merchantId());
    assertThat(claims.getSubject()).isEqualTo(credentials.clientId());
  }

  /** The body with {@code field} (dotted: inside that object) set to a plausible value. */
  private String withField(String validBody, String field) {
    ObjectNode body = (ObjectNode) json.readTree(validBody);
    int dot = field.indexOf('.');
    ObjectNode target = dot < 0 ? body : (ObjectNode) body.get(field.substring(0, dot));
    String name = dot < 0 ? field : field.substring(dot + 1);
    switch (name) {
      case "risk" -> target.putObject(name).put("score", 0).put("decision", "allow");
      case "fee", "attempts" -> target.put(name, 0);
      case "enabled" -> target.put(name, true);
      case "merchant_id" -> target.put(name, admin.merchantId());
      case "status" -> target.put(name, "succeeded");
      default -> target.put(name, "attacker-chosen");
    }
    return json.writeValueAsString(body);
  }

  /** Everything a write by this test's merchants could change, in one string. */
  private String stateOf() {
    return db.sql("""
            SELECT (SELECT count(*) FROM payments WHERE merchant_id = :m)
              || '/' || (SELECT count(*) FROM refunds WHERE merchant_id = :m)
              || '/' || (SELECT count(*) FROM payouts WHERE merchant_id = :m)
              || '/' || (SELECT count(*) FROM idempotency_keys WHERE merchant_id IN (:m, :a))
              || '/' || (SELECT count(*) FROM outbox WHERE merchant_id = :m)
              || '/' || (SELECT count(*) FROM merchants)
              || '/' || (SELECT count(*) FROM webhook_endpoints WHERE merchant_id = :m)
              || '/' || (SELECT count(*) FROM webhook_deliveries WHERE merchant_id = :m)
              || '/' || (SELECT coalesce(string_agg(secret || ':' || coalesce(previous_secret, ''), ','), '')
                         FROM webhook_endpoints WHERE merchant_id = :m)
              || '/' || (SELECT count(*) FROM api_clients WHERE revoked_at IS NOT NULL)
              || '/' || (SELECT count(*) FROM checkout_sessions WHERE merchant_id = :m AND status <> 'open')
              || '/' || (SELECT count(*) FROM journal_entries WHERE kind = 'exception_resolution')""")
        .bind("m", merchant.merchantId()).bind("a", admin.merchantId())
        .map(row -> row.get(0, String.class)).one().block(Duration.ofSeconds(10));
  }
}
