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
 * The hosted checkout page in headless Chromium (web/e2e/checkout.mjs, issue 19): the card decline
 * of 4000000000000002, a payment with 4242424242424242, and an M-Pesa payment with +254708374149
 * that succeeds after the sandbox's callback and redirects to the session's success_url. Then the
 * sessions are complete and each was paid once.
 */
class CheckoutPageIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Value("${local.server.port}") int port;
  @Autowired private DatabaseClient db;
  @Autowired private ApiClients clients;
  @Autowired private PublishableKeys publishableKeys;
  @Autowired private JsonMapper json;

  @Test
  void paysByCardAfterADeclineAndByMpesaAfterTheCallback() {
    String base = "http://127.0.0.1:" + port;
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    publishableKeys.create(merchant.merchantId(), false).block(DB);
    JsonNode card = session(merchant, "{\"amount\": 125000, \"currency\": \"KES\", \"payment_method_types\": [\"card\"]}");
    String successUrl = base + "/actuator/health";
    JsonNode mobile = session(merchant, "{\"amount\": 50000, \"currency\": \"KES\", \"payment_method_types\": "
        + "[\"mobile_money\"], \"success_url\": \"" + successUrl + "\"}");

    String output = BrowserScript.run("checkout.mjs", base, Map.of(
        "MALIPO_CHECKOUT_CARD_URL", card.get("url").asString().replace("localhost", "127.0.0.1"),
        "MALIPO_CHECKOUT_MOBILE_URL", mobile.get("url").asString().replace("localhost", "127.0.0.1"),
        "MALIPO_CHECKOUT_SUCCESS_URL", successUrl), Duration.ofSeconds(150));

    assertThat(output).contains("browser test passed");
    for (JsonNode session : new JsonNode[] {card, mobile}) {
      assertThat(db.sql("SELECT status FROM checkout_sessions WHERE id = :id").bind("id", session.get("id").asString())
          .map(row -> row.get(0, String.class)).one().block(DB)).isEqualTo("complete");
      assertThat(db.sql("SELECT count(*) FROM payments p JOIN checkout_session_confirms c ON p.idempotency_key = c.payment_key"
              + " WHERE c.session_id = :id AND p.status = 'succeeded'").bind("id", session.get("id").asString())
          .map(row -> row.get(0, Long.class)).one().block(DB)).as("paid exactly once").isEqualTo(1);
    }
  }

  private JsonNode session(TestMerchant merchant, String body) {
    return json.readTree(web.post().uri("/v1/checkout_sessions").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody());
  }
}
