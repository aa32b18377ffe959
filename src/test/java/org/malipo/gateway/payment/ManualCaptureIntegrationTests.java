package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Manual capture over HTTP against the real database and the sandbox acquirer (issue 20): the
 * hold in the ledger, capture (whole and partial), void, expiry, the refused moves and the refund
 * bound, with the ledger audited and the holds back at zero.
 */
class ManualCaptureIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired PaymentCaptures captures;
  @Autowired org.malipo.gateway.ledger.SettlementJob settlement;
  @Autowired org.malipo.gateway.idempotency.IdempotencyStore idempotency;
  @Autowired PaymentRepository payments;
  @Autowired org.malipo.gateway.events.OutboxWriter outbox;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
  }

  private JsonNode authorize(long amount, String captureMethod) {
    byte[] body = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "KES", "capture_method": "%s", "payment_method": {"type": "card",
             "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""
            .formatted(amount, captureMethod))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(body);
  }

  private WebTestClient.ResponseSpec post(String paymentId, String action, String body, String key) {
    WebTestClient.RequestBodySpec request = web.post().uri("/v1/payments/" + paymentId + "/" + action)
        .headers(h -> h.setBearerAuth(merchant.token())).contentType(MediaType.APPLICATION_JSON);
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    return request.bodyValue(body).exchange();
  }

  private JsonNode ok(WebTestClient.ResponseSpec response) {
    return json.readTree(response.expectStatus().isOk().expectBody().returnResult().getResponseBody());
  }

  private JsonNode balance() {
    return json.readTree(web.get().uri("/v1/balance").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody().returnResult().getResponseBody()).get("currencies").get(0);
  }

  private List<String> entries(String paymentId) {
    return db.sql("SELECT kind FROM journal_entries WHERE payment_id = :id ORDER BY created_at, kind")
        .bind("id", paymentId).map(row -> row.get(0, String.class)).all().collectList().block(DB);
  }

  private long heldSum() {
    // merchant:…:held and rail:…:authorized both return to zero once every hold is released.
    return LedgerAudit.heldBalance(db, merchant.merchantId(), "KES");
  }

  private List<String> events(String paymentId) {
    return db.sql("SELECT type FROM outbox WHERE aggregate_id = :id ORDER BY sequence")
        .bind("id", paymentId).map(row -> row.get(0, String.class)).all().collectList().block(DB);
  }

  @Test
  void authorizesTenThousandCapturesSixThousandAndReleasesTheRest() {
    JsonNode held = authorize(10_000, "manual");
    String id = held.get("id").asString();
    assertThat(held.get("status").asString()).isEqualTo("requires_capture");
    assertThat(held.get("capture_method").asString()).isEqualTo("manual");
    assertThat(held.has("fee")).isFalse();
    assertThat(balance().get("held").asLong()).isEqualTo(10_000);
    assertThat(balance().get("pending").asLong()).isZero();
    assertThat(entries(id)).containsExactly("hold");

    String key = UUID.randomUUID().toString();
    JsonNode captured = ok(post(id, "capture", "{\"amount\": 6000}", key));
    assertThat(captured.get("status").asString()).isEqualTo("succeeded");
    assertThat(captured.get("amount").asLong()).isEqualTo(10_000);
    assertThat(captured.get("amount_captured").asLong()).isEqualTo(6_000);
    assertThat(captured.get("fee").asLong()).isEqualTo(174); // 2.90 % of the captured 6,000
    JsonNode balance = balance();
    assertThat(balance.get("pending").asLong()).isEqualTo(6_000 - 174);
    assertThat(balance.has("held")).as("the released 4,000 and the captured 6,000 left the hold").isFalse();
    assertThat(heldSum()).isZero();
    assertThat(entries(id)).containsExactlyInAnyOrder("hold", "capture", "hold_release");
    assertThat(events(id)).containsExactly("payment.created", "payment.requires_capture", "payment.captured");

    // The same key replays; a new key finds nothing to capture; the hold is released once.
    post(id, "capture", "{\"amount\": 6000}", key).expectStatus().isOk()
        .expectHeader().valueEquals("Idempotent-Replayed", "true")
        .expectBody().jsonPath("$.amount_captured").isEqualTo(6000);
    post(id, "capture", "{}", UUID.randomUUID().toString()).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.code").isEqualTo("payment_not_capturable");
    post(id, "cancel", "{}", UUID.randomUUID().toString()).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.code").isEqualTo("payment_not_cancelable");
    assertThat(entries(id)).hasSize(3);
    LedgerAudit.assertHolds(db, merchant.merchantId());

    // Settlement moves what was captured, less the fee: 5,826, not the authorized 10,000.
    settlement.settleDue(Duration.ZERO, merchant.merchantId()).block(DB);
    assertThat(balance().get("available").asLong()).isEqualTo(6_000 - 174);
    assertThat(balance().get("pending").asLong()).isZero();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void capturesTheWholeAuthorizationWithoutAnAmount() {
    String id = authorize(5_000, "manual").get("id").asString();
    JsonNode captured = ok(post(id, "capture", "", UUID.randomUUID().toString()));
    assertThat(captured.get("amount_captured").asLong()).isEqualTo(5_000);
    assertThat(balance().get("pending").asLong()).isEqualTo(5_000 - 145);
    assertThat(heldSum()).isZero();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void refusesACaptureAboveTheAuthorizedAmountOrWithoutAKeyAndWritesNothing() {
    String id = authorize(10_000, "manual").get("id").asString();
    post(id, "capture", "{\"amount\": 10001}", UUID.randomUUID().toString()).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo("amount");
    post(id, "capture", "{\"amount\": 0}", UUID.randomUUID().toString()).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.param").isEqualTo("amount");
    post(id, "capture", "{\"amount\": 100}", null).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("idempotency_key_missing");
    post(id, "cancel", "{}", null).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("idempotency_key_missing");
    post(id, "capture", "{\"amount\": 100, \"currency\": \"KES\"}", UUID.randomUUID().toString())
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("parameter_unknown");
    post("pay_nope", "capture", "{}", UUID.randomUUID().toString()).expectStatus().isNotFound();
    web.post().uri("/v1/payments/" + id + "/capture").header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange().expectStatus().isUnauthorized();
    assertThat(entries(id)).containsExactly("hold");
    assertThat(db.sql("SELECT count(*) FROM payment_operations WHERE payment_id = :id").bind("id", id)
        .map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
  }

  @Test
  void voidsAHeldAuthorizationAndReleasesTheHold() {
    String id = authorize(10_000, "manual").get("id").asString();
    JsonNode canceled = ok(post(id, "cancel", "{\"cancellation_reason\": \"requested_by_customer\"}",
        UUID.randomUUID().toString()));
    assertThat(canceled.get("status").asString()).isEqualTo("canceled");
    assertThat(canceled.get("cancellation_reason").asString()).isEqualTo("requested_by_customer");
    assertThat(canceled.has("amount_captured")).isFalse();
    assertThat(balance().has("held")).isFalse();
    assertThat(balance().get("pending").asLong()).isZero();
    assertThat(heldSum()).isZero();
    assertThat(entries(id)).containsExactlyInAnyOrder("hold", "hold_release");
    assertThat(events(id)).containsExactly("payment.created", "payment.requires_capture", "payment.canceled");
    post(id, "capture", "{}", UUID.randomUUID().toString()).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.code").isEqualTo("payment_not_capturable");
    post(id, "cancel", "{}", UUID.randomUUID().toString()).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.code").isEqualTo("payment_not_cancelable");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void anAutomaticPaymentCanBeNeitherCapturedNorCanceled() {
    JsonNode paid = authorize(2_000, "automatic");
    assertThat(paid.get("status").asString()).isEqualTo("succeeded");
    assertThat(paid.get("amount_captured").asLong()).isEqualTo(2_000);
    String id = paid.get("id").asString();
    post(id, "capture", "{}", UUID.randomUUID().toString()).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.code").isEqualTo("payment_not_capturable");
    post(id, "cancel", "{}", UUID.randomUUID().toString()).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.code").isEqualTo("payment_not_cancelable");
    assertThat(entries(id)).containsExactly("capture");
  }

  @Test
  void mobileMoneyWithManualCaptureIsRefusedByName() {
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 1000, "currency": "KES", "capture_method": "manual",
             "payment_method": {"type": "mobile_money", "operator": "mpesa", "msisdn": "+254712345678"}}""")
        .exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo("capture_method");
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 1000, "currency": "KES", "capture_method": "later", "payment_method": {"type": "card",
             "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.param").isEqualTo("capture_method");
  }

  @Test
  void refundsOnlyWhatWasCaptured() {
    String id = authorize(10_000, "manual").get("id").asString();
    ok(post(id, "capture", "{\"amount\": 6000}", UUID.randomUUID().toString()));
    web.post().uri("/v1/payments/" + id + "/refunds").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 6001}").exchange().expectStatus().isEqualTo(422)
        .expectBody().jsonPath("$.code").isEqualTo("refund_exceeds_payment");
    web.post().uri("/v1/payments/" + id + "/refunds").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 5000}").exchange().expectStatus().isCreated()
        .expectBody().jsonPath("$.status").isEqualTo("succeeded");
  }

  @Test
  void theReconcilerVoidsAnAuthorizationHeldPastItsTimeToLive() {
    String expired = authorize(3_000, "manual").get("id").asString();
    String fresh = authorize(4_000, "manual").get("id").asString();
    db.sql("UPDATE payments SET authorized_at = now() - interval '8 days' WHERE id = :id").bind("id", expired)
        .then().block(DB);

    captures.reconcile(Duration.ofSeconds(30), Duration.ofSeconds(1), 50, 4).block(Duration.ofSeconds(30));

    // The reconciler's own timer may have taken this hold first: either pass settles it, once.
    JsonNode payment = awaitStatus(expired, "canceled");
    assertThat(payment.get("cancellation_reason").asString()).isEqualTo("expired");
    assertThat(entries(expired)).containsExactlyInAnyOrder("hold", "hold_release");
    assertThat(events(expired)).last().isEqualTo("payment.canceled");
    JsonNode stillHeld = ok(web.get().uri("/v1/payments/" + fresh).headers(h -> h.setBearerAuth(merchant.token())).exchange());
    assertThat(stillHeld.get("status").asString()).isEqualTo("requires_capture");
    assertThat(balance().get("held").asLong()).isEqualTo(4_000);

    // A second pass finds nothing more to expire; the hold was released exactly once.
    captures.reconcile(Duration.ofSeconds(30), Duration.ofSeconds(1), 50, 4).block(Duration.ofSeconds(30));
    assertThat(entries(expired)).hasSize(2);
    ok(post(fresh, "cancel", "{}", UUID.randomUUID().toString()));
    assertThat(heldSum()).isZero();
    LedgerAudit.assertHolds(db, merchant.merchantId());
    assertThat(LedgerAudit.trialBalanceDifference(db)).as("the trial balance stays balanced").isZero();
  }

  @Test
  void aPaymentAwaitingAuthenticationIsCanceledWithoutARailCallOrLedgerEntry() {
    java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    Payment payment = new Payment(org.malipo.gateway.common.Ids.next("pay"), merchant.merchantId(),
        UUID.randomUUID().toString(), PaymentStatus.PROCESSING,
        new org.malipo.gateway.common.Money(1_500, org.malipo.gateway.common.CurrencyUnit.KES),
        new org.malipo.gateway.common.Money(0, org.malipo.gateway.common.CurrencyUnit.KES), null, null, Map.of(),
        new MaskedCard("visa", "400000", "3220", "fp-3ds"), null, null, null, null, 0, now, now);
    PaymentRows.claim(db, idempotency, payments, outbox, payment);
    // Where 3-D Secure leaves a payment: waiting for the customer, nothing authorized or held.
    db.sql("UPDATE payments SET status = 'requires_action' WHERE id = :id").bind("id", payment.id()).then().block(DB);

    String key = UUID.randomUUID().toString();
    JsonNode canceled = ok(post(payment.id(), "cancel", "{\"cancellation_reason\": \"abandoned\"}", key));
    assertThat(canceled.get("status").asString()).isEqualTo("canceled");
    assertThat(canceled.get("cancellation_reason").asString()).isEqualTo("abandoned");
    assertThat(entries(payment.id())).isEmpty();
    assertThat(events(payment.id())).last().isEqualTo("payment.canceled");
    post(payment.id(), "cancel", "{\"cancellation_reason\": \"abandoned\"}", key).expectStatus().isOk()
        .expectHeader().valueEquals("Idempotent-Replayed", "true");
    post(payment.id(), "capture", "{}", UUID.randomUUID().toString()).expectStatus().isEqualTo(409)
        .expectBody().jsonPath("$.code").isEqualTo("payment_not_capturable");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  private JsonNode awaitStatus(String id, String status) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode payment = null;
    while (System.nanoTime() < deadline) {
      payment = ok(web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token())).exchange());
      if (payment.get("status").asString().equals(status)) {
        return payment;
      }
      try {
        Thread.sleep(100); // the JUnit thread, not an event loop
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("payment " + id + " not " + status + ": " + payment);
  }
}
