package org.malipo.gateway.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
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
 * Merchant settlement (issue 23): a T+0 schedule settles today's payments into one settlement whose
 * report lists each payment, fee and refund with a total equal to what the ledger moved; another
 * merchant cannot read it; bad schedules are refused.
 */
class SettlementReportIntegrationTests extends IntegrationTest {

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired SettlementJob settlement;

  @Test
  void aTPlusZeroScheduleSettlesTodaysPaymentsAndTheReportAgreesWithTheLedger() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
    web.put().uri("/v1/merchants/{id}/settlement_schedule", merchant.merchantId()).headers(h -> h.setBearerAuth(operator.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"frequency\": \"daily\", \"delay_days\": 0}")
        .exchange().expectStatus().isOk().expectBody().jsonPath("$.delay_days").isEqualTo(0);
    String first = pay(merchant, 10_000);
    pay(merchant, 20_000);
    web.post().uri("/v1/payments/{id}/refunds", first).headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 1000}").exchange().expectStatus().isCreated();

    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(Duration.ofSeconds(10))).isEqualTo(2);

    JsonNode page = json.readTree(web.get().uri("/v1/settlements").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
    assertThat(page.get("data").size()).isEqualTo(1);
    JsonNode s = page.get("data").get(0);
    assertThat(s.get("object").asString()).isEqualTo("settlement");
    assertThat(s.get("payments").asLong()).isEqualTo(2);
    assertThat(s.get("gross").asLong()).isEqualTo(30_000);
    assertThat(s.get("fees").asLong()).isEqualTo(290 + 580);
    assertThat(s.get("refunds").asLong()).isEqualTo(1_000);
    assertThat(s.get("net").asLong()).isEqualTo(30_000 - 870 - 1_000);

    List<String> report = new String(web.get().uri("/v1/settlements/{id}/report.csv", s.get("id").asString())
        .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk().expectBody().returnResult()
        .getResponseBody(), StandardCharsets.UTF_8).lines().toList();
    assertThat(report.getFirst()).isEqualTo("type,id,payment_id,occurred_at,amount,currency,fx_rate,fx_rate_as_of,fx_rate_source");
    assertThat(report.stream().filter(line -> line.startsWith("payment,"))).hasSize(2);
    assertThat(report.stream().filter(line -> line.startsWith("fee,"))).hasSize(2);
    assertThat(report.stream().filter(line -> line.startsWith("refund,"))).hasSize(1);
    assertThat(report).contains("total," + s.get("id").asString() + ",,,28130,KES,,,",
        "ledger_settled," + s.get("id").asString() + ",,,28130,KES,,,");
    // No conversion: the settlement pays in the currency it charged.
    assertThat(s.get("settlement_currency").asString()).isEqualTo("KES");
    assertThat(s.has("fx")).isFalse();
    assertThat(report).noneMatch(line -> line.startsWith("conversion,") || line.startsWith("converted_total,"));
    assertThat(db.sql("SELECT balance_minor FROM ledger_accounts WHERE id = :id")
        .bind("id", "merchant:" + merchant.merchantId() + ":available:KES").map(row -> row.get(0, Long.class)).first()
        .block(Duration.ofSeconds(10))).isEqualTo(28_130L);

    TestMerchant other = TestMerchants.create(db, clients, web, "payments:read");
    web.get().uri("/v1/settlements/{id}/report.csv", s.get("id").asString()).headers(h -> h.setBearerAuth(other.token()))
        .exchange().expectStatus().isNotFound();
    web.put().uri("/v1/merchants/{id}/settlement_schedule", merchant.merchantId()).headers(h -> h.setBearerAuth(operator.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"frequency\": \"daily\", \"delay_days\": 31}")
        .exchange().expectStatus().isBadRequest().expectBody().jsonPath("$.param").isEqualTo("delay_days");
    web.put().uri("/v1/merchants/{id}/settlement_schedule", merchant.merchantId()).headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"frequency\": \"daily\", \"delay_days\": 1}")
        .exchange().expectStatus().isForbidden();
  }

  private String pay(TestMerchant merchant, long amount) {
    return json.readTree(web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(amount))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody()).get("id").asString();
  }
}
