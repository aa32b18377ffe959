package org.malipo.gateway.checkout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.auth.PublishableKeys;
import org.malipo.gateway.support.BrowserScript;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * 3-D Secure in headless Chromium (web/e2e/three-d-secure.mjs, issue 20): two 4000000000003220
 * payments created here over the API with the merchant's token, one authenticated with "Complete
 * authentication" (then {@code succeeded}), one with "Fail authentication" (then {@code failed},
 * {@code authentication_failed}); and a checkout session paid with 4000000000003220 on the hosted
 * page, which follows {@code next_action} by itself and ends in "Payment successful".
 */
class ThreeDSecurePageIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Value("${local.server.port}") int port;
  @Autowired private DatabaseClient db;
  @Autowired private ApiClients clients;
  @Autowired private PublishableKeys publishableKeys;
  @Autowired private JsonMapper json;

  @Test
  void completeAndFailOnTheBankPageAndTheHostedPageFollowsNextAction() {
    String base = "http://127.0.0.1:" + port;
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    publishableKeys.create(merchant.merchantId(), false).block(DB);
    JsonNode complete = challenged(merchant);
    JsonNode fail = challenged(merchant);
    JsonNode session = post(merchant, "/v1/checkout_sessions",
        "{\"amount\": 75000, \"currency\": \"KES\", \"payment_method_types\": [\"card\"]}");

    String output = BrowserScript.run("three-d-secure.mjs", base, Map.of(
        "MALIPO_3DS_COMPLETE_URL", complete.get("next_action").get("redirect_to_url").get("url").asString(),
        "MALIPO_3DS_FAIL_URL", fail.get("next_action").get("redirect_to_url").get("url").asString(),
        "MALIPO_3DS_CHECKOUT_URL", session.get("url").asString().replace("localhost", "127.0.0.1")), Duration.ofSeconds(150));

    assertThat(output).contains("browser test passed");
    assertThat(status(complete.get("id").asString())).isEqualTo("succeeded");
    assertThat(status(fail.get("id").asString())).isEqualTo("failed");
    assertThat(db.sql("SELECT status FROM checkout_sessions WHERE id = :id").bind("id", session.get("id").asString())
        .map(row -> row.get(0, String.class)).one().block(DB)).isEqualTo("complete");
    assertThat(db.sql("SELECT count(*) FROM payments p JOIN checkout_session_confirms c ON p.idempotency_key = c.payment_key"
            + " WHERE c.session_id = :id AND p.status = 'succeeded'").bind("id", session.get("id").asString())
        .map(row -> row.get(0, Long.class)).one().block(DB)).as("paid exactly once").isEqualTo(1);
  }

  private JsonNode challenged(TestMerchant merchant) {
    JsonNode payment = post(merchant, "/v1/payments", """
        {"amount": 5000, "currency": "KES", "payment_method": {"type": "card", "number": "4000000000003220",
         "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""");
    assertThat(payment.get("status").asString()).isEqualTo("requires_action");
    return payment;
  }

  private String status(String paymentId) {
    return db.sql("SELECT status FROM payments WHERE id = :id").bind("id", paymentId)
        .map(row -> row.get(0, String.class)).one().block(DB);
  }

  private JsonNode post(TestMerchant merchant, String path, String body) {
    return json.readTree(web.post().uri(path).headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody());
  }
}
