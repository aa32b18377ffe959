package org.malipo.gateway.merchant;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Per-merchant pricing (issue 23): the defaults from configuration until an operator sets the
 * merchant's own rates, which the payment core's fees then use (per currency before every
 * currency); bad rates, unknown merchants and non-operators are refused with nothing stored.
 */
class MerchantPricingIntegrationTests extends IntegrationTest {

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;

  @Test
  void theMerchantsOwnRatesSetTheFeesOfItsNextPayments() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");

    JsonNode defaults = get(operator, merchant.merchantId());
    assertThat(defaults.get("object").asString()).isEqualTo("merchant_pricing");
    assertThat(defaults.get("card").get("percent_bp").asInt()).isEqualTo(290);
    assertThat(defaults.get("card").get("source").asString()).isEqualTo("default");
    assertThat(fee(merchant, 10_000)).isEqualTo(290);

    JsonNode set = put(operator, merchant.merchantId(), """
        {"card": {"percent_bp": 100, "fixed_minor": 50}, "mobile_money": {"percent_bp": 80}, "payouts": {"percent_bp": 30}}""")
        .expectStatus().isOk().expectBody().returnResult().getResponseBody() == null ? null
        : get(operator, merchant.merchantId());
    assertThat(set.get("card").get("percent_bp").asInt()).isEqualTo(100);
    assertThat(set.get("card").get("fixed_minor").asLong()).isEqualTo(50);
    assertThat(set.get("card").get("source").asString()).isEqualTo("merchant");
    assertThat(set.get("payouts").get("percent_bp").asInt()).isEqualTo(30);
    assertThat(fee(merchant, 10_000)).isEqualTo(150);   // 1.00 % of 10,000 + 50

    put(operator, merchant.merchantId(), "{\"currency\": \"KES\", \"card\": {\"percent_bp\": 0, \"fixed_minor\": 0}}")
        .expectStatus().isOk();
    assertThat(get(operator, merchant.merchantId()).get("currencies").get("KES").get("card").get("percent_bp").asInt()).isZero();
    assertThat(fee(merchant, 10_000)).isZero();
    assertThat(count("SELECT count(*) FROM audit_events WHERE action = 'merchant_pricing.updated' AND target_id = '"
        + merchant.merchantId() + "'")).isEqualTo(2);
  }

  @Test
  void badRatesUnknownMerchantsAndNonOperatorsAreRefusedAndNothingIsStored() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:read");
    put(operator, merchant.merchantId(), "{\"card\": {\"percent_bp\": 10001}}").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.param").isEqualTo("card.percent_bp");
    put(operator, merchant.merchantId(), "{\"card\": {\"percent_bp\": 10, \"fixed_minor\": -1}}").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.param").isEqualTo("card.fixed_minor");
    put(operator, merchant.merchantId(), "{\"currency\": \"XYZ\", \"card\": {\"percent_bp\": 10}}").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("currency_unsupported");
    put(operator, merchant.merchantId(), "{\"cards\": {\"percent_bp\": 10}}").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_unknown");
    put(operator, merchant.merchantId(), "{}").expectStatus().isBadRequest();
    put(operator, "mer_missing", "{\"card\": {\"percent_bp\": 10}}").expectStatus().isNotFound();
    put(merchant, merchant.merchantId(), "{\"card\": {\"percent_bp\": 10}}").expectStatus().isForbidden();
    assertThat(count("SELECT count(*) FROM merchant_pricing WHERE merchant_id = '" + merchant.merchantId() + "'")).isZero();
  }

  private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec put(TestMerchant who, String merchantId,
      String body) {
    return web.put().uri("/v1/merchants/{id}/pricing", merchantId).headers(h -> h.setBearerAuth(who.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  private JsonNode get(TestMerchant operator, String merchantId) {
    return json.readTree(web.get().uri("/v1/merchants/{id}/pricing", merchantId).headers(h -> h.setBearerAuth(operator.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
  }

  /** The fee of a new succeeded card payment, from its capture. */
  private long fee(TestMerchant merchant, long amount) {
    String id = json.readTree(web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(amount))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody()).get("id").asString();
    return count("SELECT fee_minor FROM payments WHERE id = '" + id + "' AND status = 'succeeded'");
  }

  private long count(String sql) {
    Number value = db.sql(sql).map(row -> row.get(0, Number.class)).first().block(Duration.ofSeconds(10));
    return value == null ? -1 : value.longValue();
  }
}
