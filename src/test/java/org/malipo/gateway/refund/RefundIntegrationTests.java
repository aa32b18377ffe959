package org.malipo.gateway.refund;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.ledger.SettlementJob;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Refunds over HTTP against the real database and the sandbox acquirer. */
class RefundIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired SettlementJob settlement;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
  }

  private String pay(String card, long amount) {
    byte[] body = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "KES", "payment_method": {"type": "card", "number": "%s",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(amount, card))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(body).get("id").asString();
  }

  private WebTestClient.ResponseSpec refund(String paymentId, String body, String key) {
    return web.post().uri("/v1/payments/" + paymentId + "/refunds").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  private JsonNode refunded(String paymentId, String body) {
    return json.readTree(refund(paymentId, body, UUID.randomUUID().toString())
        .expectStatus().isCreated().expectBody().returnResult().getResponseBody());
  }

  private JsonNode balance() {
    return json.readTree(web.get().uri("/v1/balance").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody().returnResult().getResponseBody()).get("currencies").get(0);
  }

  @Test
  void partialThenPartialThenOverTheRemainderIsRefused() {
    String payment = pay("4242424242424242", 10_000);

    JsonNode first = refunded(payment, "{\"amount\": 3000, \"reason\": \"damaged\"}");
    assertThat(first.get("id").asString()).startsWith("ref_");
    assertThat(first.get("status").asString()).isEqualTo("succeeded");
    assertThat(first.get("payment_id").asString()).isEqualTo(payment);
    assertThat(refunded(payment, "{\"amount\": 5000}").get("status").asString()).isEqualTo("succeeded");
    refund(payment, "{\"amount\": 3000}", UUID.randomUUID().toString())
        .expectStatus().isEqualTo(422)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.code").isEqualTo("refund_exceeds_payment");

    web.get().uri("/v1/payments/" + payment + "/refunds").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(2);
    // 10,000 captured − 290 fee − 8,000 refunded, still pending settlement.
    assertThat(balance().get("pending").asLong()).isEqualTo(1_710);
    assertThat(balance().get("available").asLong()).isZero();
    assertThat(db.sql("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'refund'")
        .bind("id", payment).map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(2);
  }

  @Test
  void aRefundWithoutAmountRefundsWhatIsLeft() {
    pay("4242424242424242", 50_000); // balance to cover the fee the merchant keeps paying
    String payment = pay("4242424242424242", 5_000);
    refunded(payment, "{\"amount\": 1000}");
    JsonNode rest = refunded(payment, "{}");
    assertThat(rest.get("amount").asLong()).isEqualTo(4_000);
    refund(payment, "{}", UUID.randomUUID().toString()).expectStatus().isEqualTo(422)
        .expectBody().jsonPath("$.code").isEqualTo("refund_exceeds_payment");
  }

  @Test
  void aFailedPaymentIsNotRefundable() {
    String declined = pay("4000000000000002", 5_000);
    refund(declined, "{}", UUID.randomUUID().toString()).expectStatus().isEqualTo(422)
        .expectBody().jsonPath("$.code").isEqualTo("payment_not_refundable");
  }

  @Test
  void aRefundTheMerchantCannotCoverIsRefusedAndLeavesNothing() {
    String payment = pay("4242424242424242", 1_000); // pending: 1,000 − 29 fee = 971
    refund(payment, "{}", UUID.randomUUID().toString()).expectStatus().isEqualTo(422)
        .expectBody().jsonPath("$.code").isEqualTo("insufficient_balance");
    assertThat(db.sql("SELECT count(*) FROM refunds WHERE payment_id = :id").bind("id", payment)
        .map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
    assertThat(db.sql("SELECT refunded_minor FROM payments WHERE id = :id").bind("id", payment)
        .map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
    assertThat(balance().get("pending").asLong()).isEqualTo(971);
    // Nothing was written, so the same key may be used again for an amount that fits.
    assertThat(refunded(payment, "{\"amount\": 900}").get("status").asString()).isEqualTo("succeeded");
  }

  @Test
  void aRefundTheAcquirerRefusesFailsAndPutsTheMoneyBack() {
    String payment = pay("4000000000005126", 10_000);
    JsonNode refund = refunded(payment, "{\"amount\": 2000}");
    assertThat(refund.get("status").asString()).isEqualTo("failed");
    assertThat(refund.get("failure").get("code").asString()).isEqualTo("refund_declined");
    assertThat(balance().get("pending").asLong()).isEqualTo(9_710);
    assertThat(db.sql("SELECT refunded_minor FROM payments WHERE id = :id").bind("id", payment)
        .map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
  }

  @Test
  void aReplayedRefundReturnsTheFirstAnswerAndADifferentBodyIsRefused() {
    String payment = pay("4242424242424242", 10_000);
    String key = UUID.randomUUID().toString();
    byte[] first = refund(payment, "{\"amount\": 1000}", key).expectStatus().isCreated()
        .expectBody().returnResult().getResponseBody();
    byte[] again = refund(payment, "{ \"amount\" : 1000 }", key).expectStatus().isCreated()
        .expectHeader().valueEquals("Idempotent-Replayed", "true")
        .expectBody().returnResult().getResponseBody();
    assertThat(again).isEqualTo(first);
    refund(payment, "{\"amount\": 1001}", key).expectStatus().isEqualTo(422)
        .expectBody().jsonPath("$.code").isEqualTo("idempotency_key_reused");
    assertThat(db.sql("SELECT count(*) FROM refunds WHERE payment_id = :id").bind("id", payment)
        .map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1);
  }

  @Test
  void aCardNumberInTheReasonOrAnAmountOutOfRangeIsRefusedAndNothingIsStored() {
    String payment = pay("4242424242424242", 10_000);
    String key = UUID.randomUUID().toString();
    refund(payment, "{\"amount\": 1000, \"reason\": \"refund to 4000 0000 0000 0002\"}", key)
        .expectStatus().isBadRequest()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo("reason");
    refund(payment, "{\"amount\": 9223372036854775808}", key)
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("amount_invalid").jsonPath("$.param").isEqualTo("amount");
    assertThat(db.sql("SELECT count(*) FROM refunds WHERE payment_id = :id").bind("id", payment)
        .map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
    assertThat(db.sql("SELECT count(*) FROM idempotency_keys WHERE merchant_id = :m AND idempotency_key = :k")
        .bind("m", merchant.merchantId()).bind("k", key).map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
    // The key was never claimed: it still works for a refund that is fine.
    refund(payment, "{\"amount\": 1000, \"reason\": \"damaged\"}", key).expectStatus().isCreated()
        .expectBody().jsonPath("$.status").isEqualTo("succeeded");
  }

  @Test
  void anotherMerchantsPaymentCannotBeRefundedOrListed() {
    String payment = pay("4242424242424242", 10_000);
    TestMerchant other = TestMerchants.create(db, clients, web, "payments:read", "refunds:write");
    web.post().uri("/v1/payments/" + payment + "/refunds").headers(h -> h.setBearerAuth(other.token()))
        .header("Idempotency-Key", "k1").contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange()
        .expectStatus().isNotFound().expectBody().jsonPath("$.code").isEqualTo("not_found");
    web.get().uri("/v1/payments/" + payment + "/refunds").headers(h -> h.setBearerAuth(other.token())).exchange()
        .expectStatus().isNotFound();
  }

  @Test
  void settlementMovesNetFundsToAvailableAndLaterRefundsComeFromAvailable() {
    String payment = pay("4242424242424242", 10_000);
    refunded(payment, "{\"amount\": 1000}");
    settlement.settleDue(Duration.ZERO, merchant.merchantId()).block(DB);
    JsonNode settled = balance();
    assertThat(settled.get("pending").asLong()).isZero();
    assertThat(settled.get("available").asLong()).isEqualTo(8_710);
    refunded(payment, "{\"amount\": 2000}");
    assertThat(balance().get("available").asLong()).isEqualTo(6_710);
    assertThat(db.sql("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'settlement'")
        .bind("id", payment).map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1);
  }
}
