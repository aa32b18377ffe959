package org.malipo.gateway.refund;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import java.util.function.Supplier;
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
import tools.jackson.databind.JsonNode;

/**
 * Refunds of mobile-money payments (issue 21): M-Pesa through Daraja's Reversal (accepted, then a
 * result to the ResultURL), MoMo through Disbursements' refund; both reserve first like card
 * refunds. They used to fail with {@code provider_unavailable}.
 */
class MobileMoneyRefundIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final Duration SETTLED = Duration.ofSeconds(30);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
  }

  @Test
  void refundsAnMpesaPaymentThroughTheReversalResultOnce() {
    String paymentId = paidByMobileMoney(15_000, "KES", "mpesa", "+254708374149");
    JsonNode refund = refund(paymentId, 10_000);
    String refundId = refund.get("id").asString();
    assertThat(refund.get("status").asString()).as("reversal accepted, result to come").isIn("pending", "succeeded");
    assertThat(awaitRefund(refundId)).isEqualTo("succeeded");
    assertThat(count("SELECT count(*) FROM journal_entries WHERE refund_id = :id AND kind = 'refund'", refundId)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE refund_id = :id AND kind = 'adjustment'", refundId)).isZero();
    assertThat(count("SELECT count(*) FROM outbox WHERE type = 'refund.succeeded' AND payload LIKE '%' || :id || '%'",
        refundId)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM inbox WHERE rail = 'mpesa_reversal' AND reference_hint = :id AND verdict = 'applied'",
        refundId)).isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void duplicateLateAndUnknownReversalResultsChangeNothing() {
    String paymentId = paidByMobileMoney(15_000, "KES", "mpesa", "+254708374149");
    String refundId = refund(paymentId, 5_000).get("id").asString();
    assertThat(awaitRefund(refundId)).isEqualTo("succeeded");
    // The same result again, then a late refusal of the same reversal, then a result for no refund.
    reversalResult(refundId, "{\"Result\":{\"ResultCode\":0,\"TransactionID\":\"SR_AGAIN\"}}");
    reversalResult(refundId, "{\"Result\":{\"ResultCode\":\"R000001\",\"ResultDesc\":\"already reversed\"}}");
    reversalResult("ref_unknown", "{\"Result\":{\"ResultCode\":0,\"TransactionID\":\"SR_X\"}}");
    web.post().uri("/v1/callbacks/mpesa/wrong-token/reversal/result?ref=" + refundId)
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"Result\":{\"ResultCode\":0}}").exchange()
        .expectStatus().isNotFound();
    java.util.List<String> verdicts = db.sql(
            "SELECT verdict FROM inbox WHERE rail = 'mpesa_reversal' AND reference_hint = :id ORDER BY id")
        .bind("id", refundId).map(row -> row.get(0, String.class)).all().collectList().block(DB);
    // One applied; the rest (ours, and any the refund reconciler's re-sent reversal brought) duplicates.
    assertThat(verdicts).filteredOn("applied"::equals).hasSize(1);
    assertThat(verdicts).filteredOn("duplicate"::equals).hasSizeGreaterThanOrEqualTo(2);
    assertThat(verdicts).containsOnly("applied", "duplicate");
    assertThat(db.sql("SELECT verdict FROM inbox WHERE reference_hint = 'ref_unknown'")
        .map(row -> row.get(0, String.class)).one().block(DB)).isEqualTo("orphan");
    assertThat(count("SELECT count(*) FROM refunds WHERE id = :id AND status = 'succeeded'", refundId)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE refund_id = :id", refundId)).as("no release").isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  private void reversalResult(String ref, String body) {
    web.post().uri("/v1/callbacks/mpesa/local-mpesa-callback-token/reversal/result?ref=" + ref)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
        .expectStatus().isOk().expectBody().jsonPath("$.ResultCode").isEqualTo(0);
  }

  @Test
  void refundsAMomoPaymentThroughDisbursements() {
    String paymentId = paidByMobileMoney(50_000, "UGX", "mtn_momo", "+256770000000");
    JsonNode refund = refund(paymentId, 20_000);
    assertThat(awaitRefund(refund.get("id").asString())).isEqualTo("succeeded");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  private String paidByMobileMoney(long amount, String currency, String operator, String msisdn) {
    String id = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "%s", "payment_method": {"type": "mobile_money", "operator": "%s",
             "msisdn": "%s"}}""".formatted(amount, currency, operator, msisdn))
        .exchange().expectStatus().isCreated().expectBody(JsonNode.class).returnResult().getResponseBody()
        .get("id").asString();
    eventually(() -> "succeeded".equals(db.sql("SELECT status FROM payments WHERE id = :id").bind("id", id)
        .map(row -> row.get("status", String.class)).one().block(DB)) ? true : null);
    return id;
  }

  private JsonNode refund(String paymentId, long amount) {
    return web.post().uri("/v1/payments/" + paymentId + "/refunds").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": " + amount + "}")
        .exchange().expectStatus().isCreated().expectBody(JsonNode.class).returnResult().getResponseBody();
  }

  private String awaitRefund(String refundId) {
    return eventually(() -> {
      String status = db.sql("SELECT status FROM refunds WHERE id = :id").bind("id", refundId)
          .map(row -> row.get("status", String.class)).one().block(DB);
      return "pending".equals(status) ? null : status;
    });
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB);
  }

  private static <T> T eventually(Supplier<T> probe) {
    long deadline = System.nanoTime() + SETTLED.toNanos();
    while (true) {
      T value = probe.get();
      if (value != null) {
        return value;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not settled within " + SETTLED);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
