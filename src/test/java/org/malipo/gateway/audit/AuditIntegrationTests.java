package org.malipo.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.auth.KeyRing;
import org.malipo.gateway.contract.OpenApiContract;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The audit log (ADR 0055): each audited action leaves one row with actor, target, request id and
 * source address; the table refuses updates and deletes; {@code GET /v1/audit_events} pages and
 * filters it for operators only.
 */
class AuditIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired private DatabaseClient db;
  @Autowired private ApiClients clients;
  @Autowired private JsonMapper json;
  @Autowired private AuditLog audit;
  @Autowired private TransactionalOperator tx;
  @Autowired private KeyRing keys;

  private TestMerchant operator;
  private String operatorClient;
  private TestMerchant merchant;
  private String merchantClient;

  @BeforeEach
  void operatorAndMerchant() throws Exception {
    operator = TestMerchants.create(db, clients, web, "admin", "payments:read");
    operatorClient = SignedJWT.parse(operator.token()).getJWTClaimsSet().getSubject();
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
    merchantClient = SignedJWT.parse(merchant.token()).getJWTClaimsSet().getSubject();
  }

  @Test
  void merchantCreationIsAuditedWithActorTargetRequestIdAndSourceAddress() {
    String requestId = "audit-it-" + UUID.randomUUID();
    JsonNode created = json.readTree(web.post().uri("/v1/merchants").headers(h -> h.setBearerAuth(operator.token()))
        .header("X-Request-Id", requestId).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"name\":\"Audited Shop\",\"country\":\"UG\"}")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody());

    List<JsonNode> events = events("?actor=" + operatorClient);

    JsonNode merchantCreated = only(events, "merchant.created");
    assertThat(merchantCreated.get("target").get("id").asString()).isEqualTo(created.get("id").asString());
    assertThat(merchantCreated.get("target").get("type").asString()).isEqualTo("merchant");
    assertThat(merchantCreated.get("actor").get("client_id").asString()).isEqualTo(operatorClient);
    assertThat(merchantCreated.get("actor").get("merchant_id").asString()).isEqualTo(operator.merchantId());
    assertThat(merchantCreated.get("request_id").asString()).isEqualTo(requestId);
    assertThat(merchantCreated.get("source_address").asString()).isEqualTo("127.0.0.1");
    JsonNode clientCreated = only(events, "client.created");
    assertThat(clientCreated.get("target").get("id").asString()).isEqualTo(created.get("client_id").asString());
    assertThat(clientCreated.toString()).doesNotContain(created.get("client_secret").asString());
  }

  @Test
  void webhookEndpointCreationRotationAndDeletionAreAuditedForTheMerchantsClient() {
    JsonNode endpoint = json.readTree(web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"url\":\"https://merchant.example/hooks\",\"events\":[\"payment.succeeded\"]}")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody());
    String id = endpoint.get("id").asString();
    web.post().uri("/v1/webhook_endpoints/" + id + "/rotate_secret").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk();
    web.delete().uri("/v1/webhook_endpoints/" + id).headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk();

    List<JsonNode> events = events("?actor=" + merchantClient);

    assertThat(events).extracting(e -> e.get("action").asString()).containsExactly(
        "webhook_endpoint.deleted", "webhook_endpoint.secret_rotated", "webhook_endpoint.created");
    assertThat(events).allSatisfy(e -> {
      assertThat(e.get("target").get("id").asString()).isEqualTo(id);
      assertThat(e.get("actor").get("merchant_id").asString()).isEqualTo(merchant.merchantId());
    });
    assertThat(events.toString()).as("secrets never reach the audit log")
        .doesNotContain(endpoint.get("secret").asString());
  }

  @Test
  void aChangeRefusedAsNotFoundLeavesNoAuditRow() {
    web.delete().uri("/v1/webhook_endpoints/whe_0193a4b2c1d07e5f8a9b0c1d2e3f4a5b").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isNotFound();

    assertThat(events("?actor=" + merchantClient)).isEmpty();
  }

  @Test
  void refundsAreAuditedWithTheirPaymentAndAmount() {
    String payment = json.readTree(web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 5000, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody()).get("id").asString();
    String refund = json.readTree(web.post().uri("/v1/payments/" + payment + "/refunds")
        .headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"amount\": 1000}")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody()).get("id").asString();

    JsonNode event = only(events("?actor=" + merchantClient), "refund.created");

    assertThat(event.get("target").get("id").asString()).isEqualTo(refund);
    assertThat(event.get("details").get("payment_id").asString()).isEqualTo(payment);
    assertThat(event.get("details").get("amount").asLong()).isEqualTo(1000);
    assertThat(event.get("details").get("currency").asString()).isEqualTo("KES");
  }

  @Test
  void operatorsReadsOfTheLedgerAndOfTheLogAreAudited() {
    web.get().uri("/v1/ledger/trial_balance").headers(h -> h.setBearerAuth(operator.token()))
        .exchange().expectStatus().isOk();

    List<JsonNode> events = events("?actor=" + operatorClient);

    assertThat(only(events, "ledger.trial_balance_read").get("target").get("id").asString()).isEqualTo("trial_balance");
    assertThat(events("?actor=" + operatorClient + "&action=audit_events.read"))
        .as("the first listing was audited before the second read it").isNotEmpty();
  }

  @Test
  void clientRevocationIsAudited() {
    web.post().uri("/v1/clients/{id}/revoke", merchantClient).headers(h -> h.setBearerAuth(operator.token()))
        .exchange().expectStatus().isOk();

    JsonNode revoked = only(events("?action=client.revoked&actor=" + operatorClient), "client.revoked");

    assertThat(revoked.get("target").get("id").asString()).isEqualTo(merchantClient);
    assertThat(revoked.get("details").get("merchant_id").asString()).isEqualTo(merchant.merchantId());
  }

  @Test
  void aNewActiveSigningKeyIsAuditedOnceAtStartUp() throws InterruptedException {
    // The application's own start-up audit runs after ApplicationReadyEvent, asynchronously: wait for
    // its row, or it could land after the rotation below and the rotation would have no predecessor.
    for (int i = 0; i < 100 && activatedRows(keys.activeKid()) == 0; i++) {
      Thread.sleep(100);
    }
    assertThat(activatedRows(keys.activeKid())).as("the start-up's own signing_key.activated").isPositive();
    String kid = "rotated-" + UUID.randomUUID();
    KeyRing rotated = () -> kid;
    SigningKeyAudit startUp = new SigningKeyAudit(rotated, db, tx, audit);

    assertThat(startUp.recordIfChanged().block(DB)).isTrue();
    assertThat(startUp.recordIfChanged().block(DB)).as("a second instance of the same rollout").isFalse();

    JsonNode activated = only(events("?action=signing_key.activated&limit=1"), "signing_key.activated");
    assertThat(activated.get("target").get("id").asString()).isEqualTo(kid);
    assertThat(activated.get("actor").get("client_id").isNull()).isTrue();
    assertThat(activated.get("details").get("previous_kid").asString()).isEqualTo(keys.activeKid());
  }

  private long activatedRows(String kid) {
    return db.sql("SELECT count(*) FROM audit_events WHERE action = 'signing_key.activated' AND target_id = :kid")
        .bind("kid", kid).map(row -> row.get(0, Long.class)).one().block(DB);
  }

  @Test
  void auditRowsCanBeNeitherUpdatedNorDeleted() {
    web.get().uri("/v1/ledger/trial_balance").headers(h -> h.setBearerAuth(operator.token())).exchange().expectStatus().isOk();

    assertThatThrownBy(() -> db.sql("UPDATE audit_events SET action = 'nothing.happened' WHERE actor_client_id = :c")
        .bind("c", operatorClient).then().block(DB)).hasMessageContaining("append-only");
    assertThatThrownBy(() -> db.sql("DELETE FROM audit_events WHERE actor_client_id = :c")
        .bind("c", operatorClient).then().block(DB)).hasMessageContaining("append-only");
    assertThatThrownBy(() -> db.sql("TRUNCATE audit_events").then().block(DB)).hasMessageContaining("append-only");
  }

  @Test
  void pagesWithStartingAfterNewestFirst() {
    for (int i = 0; i < 3; i++) {
      web.get().uri("/v1/ledger/trial_balance").headers(h -> h.setBearerAuth(operator.token())).exchange().expectStatus().isOk();
    }
    String filter = "?action=ledger.trial_balance_read&actor=" + operatorClient;
    JsonNode first = page(filter + "&limit=2");
    assertThat(first.get("has_more").asBoolean()).isTrue();
    String last = first.get("data").get(1).get("id").asString();

    JsonNode second = page(filter + "&limit=2&starting_after=" + last);

    assertThat(second.get("has_more").asBoolean()).isFalse();
    assertThat(second.get("data")).hasSize(1);
    assertThat(second.get("data").get(0).get("id").asString()).isLessThan(last);
  }

  @Test
  void onlyOperatorsReadTheLog() {
    web.get().uri("/v1/audit_events").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isForbidden().expectBody().jsonPath("$.code").isEqualTo("insufficient_scope");
  }

  @Test
  void refusesAnUnknownActionFilter() {
    web.get().uri("/v1/audit_events?action=payment.stolen").headers(h -> h.setBearerAuth(operator.token())).exchange()
        .expectStatus().isBadRequest().expectBody().jsonPath("$.param").isEqualTo("action");
  }

  @Test
  void theContractListsExactlyTheActionsTheGatewayRecords() {
    Set<String> documented = new TreeSet<>();
    OpenApiContract.get().model().getComponents().getSchemas().get("AuditAction").getEnum()
        .forEach(value -> documented.add(value.toString()));
    Set<String> recorded = new TreeSet<>();
    for (AuditAction action : AuditAction.values()) {
      recorded.add(action.wireName());
    }

    assertThat(documented).isEqualTo(recorded);
  }

  private JsonNode page(String query) {
    return json.readTree(web.get().uri("/v1/audit_events" + query).headers(h -> h.setBearerAuth(operator.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
  }

  /** The events matching {@code query}, minus the operator's own reads of the log. */
  private List<JsonNode> events(String query) {
    List<JsonNode> events = new ArrayList<>();
    page(query + (query.contains("limit=") ? "" : "&limit=100")).get("data").forEach(e -> {
      if (!e.get("action").asString().equals("audit_events.read") || query.contains("audit_events.read")) {
        events.add(e);
      }
    });
    return events;
  }

  private static JsonNode only(List<JsonNode> events, String action) {
    List<JsonNode> matching = events.stream().filter(e -> e.get("action").asString().equals(action)).toList();
    assertThat(matching).as(action).hasSize(1);
    return matching.getFirst();
  }
}
