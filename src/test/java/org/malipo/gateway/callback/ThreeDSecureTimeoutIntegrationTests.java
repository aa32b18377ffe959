package org.malipo.gateway.callback;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
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
import tools.jackson.databind.json.JsonMapper;

/**
 * The reconciler's pass fails a {@code requires_action} payment older than {@code
 * malipo.payments.authentication-timeout} with {@code authentication_timeout} (issue 20,
 * docs/adr/0083), and leaves a younger one waiting. The payment's age is moved back in the
 * database rather than the timeout shortened, so the shared test context stays as it is.
 */
class ThreeDSecureTimeoutIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired PaymentReconciler reconciler;

  @Test
  void theReconcilerFailsAnAuthenticationNotCompletedInTime() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    String old = challenged(merchant);
    String fresh = challenged(merchant);
    db.sql("UPDATE payments SET updated_at = now() - interval '10 minutes 1 second' WHERE id = :id").bind("id", old)
        .then().block(DB);

    reconciler.reconcile().block(Duration.ofSeconds(30));

    JsonNode timedOut = get(merchant, old);
    assertThat(timedOut.get("status").asString()).isEqualTo("failed");
    assertThat(timedOut.get("failure").get("code").asString()).isEqualTo("authentication_timeout");
    assertThat(timedOut.has("next_action")).isFalse();
    assertThat(get(merchant, fresh).get("status").asString()).isEqualTo("requires_action");
    assertThat(db.sql("SELECT type FROM outbox WHERE aggregate_id = :id ORDER BY sequence DESC LIMIT 1").bind("id", old)
        .map(row -> row.get(0, String.class)).one().block(DB)).isEqualTo("payment.failed");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  private String challenged(TestMerchant merchant) {
    byte[] body = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 2000, "currency": "KES", "payment_method": {"type": "card", "number": "4000000000003220",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(body).get("id").asString();
  }

  private JsonNode get(TestMerchant merchant, String id) {
    return json.readTree(web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
  }
}
