package org.malipo.gateway.refund;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.fx.FxConversion;
import org.malipo.gateway.fx.FxRate;
import org.malipo.gateway.ledger.SettlementJob;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A refund of a payment settled into another currency (docs/adr/0091): an XOF merchant settled in
 * EUR has no XOF left, so the refund's XOF are bought back from its EUR available balance at the
 * pair's latest rate (the sandbox's 655.957 parity), in the refund's own transaction and one
 * {@code refund_conversion} entry that balances in each currency; when the EUR balance cannot
 * cover it, {@code 422 insufficient_balance} and nothing is written; a refund the acquirer then
 * refuses gives the money back in XOF (ADR 0091's stated consequence).
 */
class ConvertedPaymentRefundIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final FxRate PARITY = new FxRate(CurrencyUnit.EUR, CurrencyUnit.XOF, new BigDecimal("655.957"),
      Instant.parse("1999-01-01T00:00:00Z"), "BCEAO fixed parity");

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired SettlementJob settlement;

  private TestMerchant merchant;

  @BeforeEach
  void xofMerchantSettledInEur() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
    web.put().uri("/v1/merchants/{id}/settlement_schedule", merchant.merchantId())
        .headers(h -> h.setBearerAuth(operator.token())).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"frequency\": \"daily\", \"delay_days\": 0, \"settlement_currency\": \"EUR\"}").exchange()
        .expectStatus().isOk();
  }

  @Test
  void theRefundIsFundedFromTheSettlementCurrencyAtTheLatestRate() {
    String payment = pay(65_596);
    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isEqualTo(1);
    long settledEur = balance("available:EUR");
    assertThat(settledEur).isPositive();

    JsonNode refund = body(refund(payment, 10_000).expectStatus().isCreated());
    assertThat(refund.get("status").asString()).isEqualTo("succeeded");

    FxConversion.Converted bought = FxConversion.convert(10_000, CurrencyUnit.XOF, CurrencyUnit.EUR, PARITY);
    assertThat(balance("available:EUR")).isEqualTo(settledEur - bought.convertedMinor());
    assertThat(balance("available:XOF")).isZero();
    JsonNode entry = json.readTree(db.sql("""
            SELECT json_build_object('n', count(*), 'rate', max(e.fx_rate)::text, 'source', max(e.fx_rate_source),
                'refund', max(e.refund_id))::text
            FROM journal_entries e WHERE e.kind = 'refund_conversion' AND e.payment_id = :p""")
        .bind("p", payment).map(row -> row.get(0, String.class)).one().block(DB));
    assertThat(entry.get("n").asInt()).isEqualTo(1);
    assertThat(new BigDecimal(entry.get("rate").asString())).isEqualByComparingTo("655.957");
    assertThat(entry.get("refund").asString()).isEqualTo(refund.get("id").asString());
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aRefundTheSettlementBalanceCannotCoverIsRefusedAndWritesNothing() {
    String first = pay(65_596);
    String second = pay(65_596);
    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isEqualTo(2);
    // Each payment settled its net (fees kept); a full refund buys back its gross: the second no longer fits.
    refund(first, 65_596).expectStatus().isCreated();
    long eurLeft = balance("available:EUR");
    assertThat(FxConversion.convert(65_596, CurrencyUnit.XOF, CurrencyUnit.EUR, PARITY).convertedMinor()).isGreaterThan(eurLeft);

    JsonNode refused = body(refund(second, 65_596).expectStatus().isEqualTo(422));
    assertThat(refused.get("code").asString()).isEqualTo("insufficient_balance");
    assertThat(refused.get("detail").asString()).contains("available EUR");

    assertThat(balance("available:EUR")).isEqualTo(eurLeft);
    assertThat(count("SELECT count(*) FROM refunds WHERE payment_id = :p", second)).isZero();
    assertThat(count("SELECT refunded_minor FROM payments WHERE id = :p", second)).isZero();
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :p AND kind = 'refund_conversion'", second))
        .isZero();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aRefundTheAcquirerRefusesGivesTheBoughtBackMoneyBackInTheChargeCurrency() {
    String payment = pay(65_596, "4000000000005126"); // its refunds are declined by the sandbox acquirer
    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isEqualTo(1);
    long settledEur = balance("available:EUR");

    JsonNode refund = body(refund(payment, 10_000).expectStatus().isCreated());
    assertThat(refund.get("status").asString()).isEqualTo("failed");
    assertThat(refund.get("failure").get("code").asString()).isEqualTo("refund_declined");

    FxConversion.Converted bought = FxConversion.convert(10_000, CurrencyUnit.XOF, CurrencyUnit.EUR, PARITY);
    assertThat(balance("available:EUR")).isEqualTo(settledEur - bought.convertedMinor());
    assertThat(balance("available:XOF")).isEqualTo(10_000);
    assertThat(count("SELECT refunded_minor FROM payments WHERE id = :p", payment)).isZero();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  private String pay(long amount) {
    return pay(amount, "4242424242424242");
  }

  private String pay(long amount, String card) {
    JsonNode payment = body(web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "XOF", "payment_method": {"type": "card", "number": "%s",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(amount, card))
        .exchange().expectStatus().isCreated());
    assertThat(payment.get("status").asString()).as("payment %s", payment).isEqualTo("succeeded");
    return payment.get("id").asString();
  }

  private ResponseSpec refund(String payment, long amount) {
    return web.post().uri("/v1/payments/{id}/refunds", payment).headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": " + amount + "}").exchange();
  }

  private JsonNode body(ResponseSpec spec) {
    return json.readTree(spec.expectBody().returnResult().getResponseBody());
  }

  private long balance(String account) {
    return db.sql("SELECT balance_minor FROM ledger_accounts WHERE id = :id")
        .bind("id", "merchant:" + merchant.merchantId() + ":" + account)
        .map(row -> row.get(0, Long.class)).one().defaultIfEmpty(0L).block(DB);
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("p", id).map(row -> ((Number) row.get(0)).longValue()).one().block(DB);
  }
}
