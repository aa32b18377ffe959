package org.malipo.gateway.refund;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.ProxiedInstanceTest;
import org.malipo.gateway.support.TestMerchants;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;

/**
 * A refund whose acquirer answer is lost stays {@code pending}; the reconciler sends the same
 * refund again under its id, the acquirer's idempotency key, and records the final answer once
 * (issue 18, docs/adr/0065-payment-lifecycle.md). It used to stay pending for ever.
 */
class UnknownRefundIntegrationTests extends ProxiedInstanceTest {

  private static final Duration SETTLED = Duration.ofSeconds(30);

  @Test
  void aRefundWhoseAnswerWasLostSucceedsThroughTheReconcilerWithOneRefundEntry() {
    TestMerchants.TestMerchant refunder = TestMerchants.create(db, gateway.bean(ApiClients.class), client,
        "payments:write", "payments:read", "refunds:write");
    String paymentId = client.post().uri("/v1/payments").headers(h -> h.setBearerAuth(refunder.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 2700, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange().expectStatus().isCreated().expectBody(JsonNode.class).returnResult().getResponseBody()
        .get("id").asString();

    gateway.acquirer().loseAnswers();
    JsonNode refund = client.post().uri("/v1/payments/{id}/refunds", paymentId)
        .headers(h -> h.setBearerAuth(refunder.token())).header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"amount\": 1000}")
        .exchange().expectStatus().isCreated().expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(refund.get("status").asString()).as("refunded or not, nobody knows yet").isEqualTo("pending");
    gateway.acquirer().restore();

    String refundId = refund.get("id").asString();
    long deadline = System.nanoTime() + SETTLED.toNanos();
    String status = "pending";
    while (status.equals("pending") && System.nanoTime() < deadline) {
      pause();
      status = db.sql("SELECT status FROM refunds WHERE id = :id").bind("id", refundId)
          .map(row -> row.get("status", String.class)).one().block(Duration.ofSeconds(10));
    }
    assertThat(status).isEqualTo("succeeded");
    assertThat(db.sql("SELECT count(*) FROM journal_entries WHERE refund_id = :id").bind("id", refundId)
        .map(row -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10))).isEqualTo(1);
    assertThat(db.sql("SELECT count(*) FROM outbox WHERE type = 'refund.succeeded' AND payload::text LIKE :like")
        .bind("like", "%" + refundId + "%").map(row -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10)))
        .isEqualTo(1);
    LedgerAudit.assertHolds(db, refunder.merchantId());
  }

  private static void pause() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
