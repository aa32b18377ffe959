package org.malipo.gateway.payout;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.ledger.SettlementJob;
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
 * A merchant with a payout destination on file (issue 23): its settlement pays the available
 * balance out through the payouts API once (a second pass, as after a crash, finds the same
 * payout), the amount plus fee fitting the balance, and the settlement report lists it.
 */
class SettlementPayoutIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired SettlementJob settlement;
  @Autowired SettlementPayouts settlementPayouts;

  @Test
  void theSettlementPaysTheAvailableBalanceOutOnceToTheDestinationOnFile() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "payouts:read");
    web.put().uri("/v1/merchants/{id}/settlement_schedule", merchant.merchantId()).headers(h -> h.setBearerAuth(operator.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue("""
            {"frequency": "daily", "delay_days": 0,
             "payout_destination": {"type": "mobile_money", "operator": "mpesa", "msisdn": "+254708374149", "name": "Jane"}}""")
        .exchange().expectStatus().isOk().expectBody().jsonPath("$.payout_destination.operator").isEqualTo("mpesa");
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 500000, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange().expectStatus().isCreated();
    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isEqualTo(1);
    long available = balance(merchant, "available");
    assertThat(available).isEqualTo(500_000 - 14_500);

    settlementPayouts.payOut().block(Duration.ofSeconds(30));
    settlementPayouts.payOut().block(Duration.ofSeconds(30)); // a second pass pays nothing more

    List<String> payouts = db.sql("SELECT id FROM payouts WHERE merchant_id = :m").bind("m", merchant.merchantId())
        .map(row -> row.get(0, String.class)).all().collectList().block(DB);
    assertThat(payouts).hasSize(1);
    JsonNode payout = json.readTree(web.get().uri("/v1/payouts/" + payouts.getFirst()).headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
    long amount = payout.get("amount").asLong();
    long fee = payout.get("fee").asLong();
    assertThat(amount % 100).isZero();
    assertThat(amount + fee).isLessThanOrEqualTo(available).isGreaterThan(available - 200);
    assertThat(balance(merchant, "available")).isEqualTo(available - amount - fee);

    String settlementId = db.sql("SELECT id FROM settlements WHERE merchant_id = :m").bind("m", merchant.merchantId())
        .map(row -> row.get(0, String.class)).first().block(DB);
    List<String> report = new String(web.get().uri("/v1/settlements/{id}/report.csv", settlementId)
        .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk().expectBody().returnResult()
        .getResponseBody(), StandardCharsets.UTF_8).lines().toList();
    assertThat(report).contains("payout," + payouts.getFirst() + ",," + report.stream()
        .filter(l -> l.startsWith("payout,")).findFirst().orElseThrow().split(",")[3] + "," + (-amount) + ",KES,,,");
    assertThat(report).contains("paid_out," + settlementId + ",,," + (-(amount + fee)) + ",KES,,,");
    LedgerAudit.assertPayoutsHold(db, merchant.merchantId());
  }

  private long balance(TestMerchant merchant, String kind) {
    Long value = db.sql("SELECT balance_minor FROM ledger_accounts WHERE id = :id")
        .bind("id", "merchant:" + merchant.merchantId() + ":" + kind + ":KES").map(row -> row.get(0, Long.class)).first().block(DB);
    return value == null ? 0 : value;
  }
}
