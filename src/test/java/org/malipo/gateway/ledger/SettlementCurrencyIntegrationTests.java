package org.malipo.gateway.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.fx.FxConversion;
import org.malipo.gateway.fx.FxRate;
import org.malipo.gateway.fx.FxRates;
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
 * Settlement in another currency (issue 23 item 6): XOF payments of a merchant settling in EUR
 * convert at the sandbox's EUR/XOF parity in one balanced entry per payment that carries the rate;
 * settlements and the report show the conversion with totals equal to the ledger's; a pair without
 * a rate waits in pending until one is loaded; a bad currency is refused; a crash between the
 * settlement's writes leaves nothing. A refund after such a settlement (ADR 0091) is bought back
 * from the EUR available balance at the pair's latest rate in one {@code refund_conversion} entry;
 * when the EUR balance cannot cover it, {@code 422 insufficient_balance} and nothing is written; a
 * refund the acquirer then refuses gives the money back in XOF.
 */
class SettlementCurrencyIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final FxRate PARITY = new FxRate(CurrencyUnit.EUR, CurrencyUnit.XOF, new BigDecimal("655.957"),
      Instant.parse("1999-01-01T00:00:00Z"), "BCEAO fixed parity");

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired SettlementJob settlement;
  @Autowired FxRates rates;
  @Autowired MeterRegistry meters;

  @Test
  void xofPaymentsSettleInEurAtTheSandboxRateWithTheRateOnTheEntry() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    schedule(operator, merchant, "\"EUR\"").expectStatus().isOk().expectBody()
        .jsonPath("$.settlement_currency").isEqualTo("EUR");
    String first = pay(merchant, 10_000, "XOF");
    String second = pay(merchant, 25_001, "XOF");

    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isEqualTo(2);

    // Each payment's one settlement entry carries the rate, its time and its source.
    List<Map<String, Object>> entries = db.sql("""
            SELECT e.payment_id, e.fx_base, e.fx_quote, e.fx_rate, e.fx_rate_as_of, e.fx_rate_source
            FROM journal_entries e WHERE e.kind = 'settlement' AND e.payment_id IN (:a, :b)""")
        .bind("a", first).bind("b", second).fetch().all().collectList().block(DB);
    assertThat(entries).hasSize(2).allSatisfy(e -> {
      assertThat(((String) e.get("fx_base")).strip()).isEqualTo("EUR");
      assertThat(((String) e.get("fx_quote")).strip()).isEqualTo("XOF");
      assertThat((BigDecimal) e.get("fx_rate")).isEqualByComparingTo("655.957");
      assertThat(e.get("fx_rate_source")).isEqualTo("BCEAO fixed parity");
      assertThat(e.get("fx_rate_as_of").toString()).startsWith("1999-01-01T00:00");
    });
    long net1 = 10_000 - 290;
    long net2 = 25_001 - 725;
    FxConversion.Converted c1 = FxConversion.convert(net1, CurrencyUnit.XOF, CurrencyUnit.EUR, PARITY);
    FxConversion.Converted c2 = FxConversion.convert(net2, CurrencyUnit.XOF, CurrencyUnit.EUR, PARITY);
    long converted = c1.convertedMinor() + c2.convertedMinor();
    long rounding = c1.roundingMinor() + c2.roundingMinor();
    assertThat(balance("merchant:" + merchant.merchantId() + ":available:EUR")).isEqualTo(converted);
    assertThat(balance("merchant:" + merchant.merchantId() + ":pending:XOF")).isZero();
    // The charge currency's side: what left pending is on the FX position plus the rounding account.
    assertThat(sum(merchant, "fx:XOFEUR:XOF", 'C') + sum(merchant, "fx:rounding:XOF", 'C') - sum(merchant, "fx:rounding:XOF", 'D'))
        .isEqualTo(net1 + net2);
    assertThat(sum(merchant, "fx:XOFEUR:EUR", 'D')).isEqualTo(converted);
    LedgerAudit.assertHolds(db, merchant.merchantId());

    JsonNode s = json.readTree(web.get().uri("/v1/settlements").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody()).get("data").get(0);
    assertThat(s.get("currency").asString()).isEqualTo("XOF");
    assertThat(s.get("net").asLong()).isEqualTo(net1 + net2);
    assertThat(s.get("settlement_currency").asString()).isEqualTo("EUR");
    assertThat(s.get("converted").asLong()).isEqualTo(converted);
    assertThat(s.get("fx").get("rate").asString()).isEqualTo("655.957");
    assertThat(s.get("fx").get("base").asString()).isEqualTo("EUR");
    assertThat(s.get("fx").get("rounding").asLong()).isEqualTo(rounding);

    String id = s.get("id").asString();
    List<String> report = new String(web.get().uri("/v1/settlements/{id}/report.csv", id)
        .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk().expectBody().returnResult()
        .getResponseBody(), StandardCharsets.UTF_8).lines().toList();
    assertThat(report.getFirst()).isEqualTo("type,id,payment_id,occurred_at,amount,currency,fx_rate,fx_rate_as_of,fx_rate_source");
    assertThat(report.stream().filter(line -> line.startsWith("conversion,"))).hasSize(2)
        .allSatisfy(line -> assertThat(line).contains(",EUR,655.957,1999-01-01T00:00:00Z,BCEAO fixed parity"));
    assertThat(report).contains("ledger_settled," + id + ",,," + (net1 + net2) + ",XOF,,,",
        "converted_total," + id + ",,," + converted + ",EUR,655.957,1999-01-01T00:00:00Z,BCEAO fixed parity",
        "fx_rounding_total," + id + ",,," + rounding + ",XOF,,,");
  }

  @Test
  void aPairWithoutARateWaitsInPendingUntilARateIsLoaded() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    // The sandbox file quotes USD/KES and USD/ZAR but no KES/ZAR: no cross rate is derived.
    schedule(operator, merchant, "\"ZAR\"").expectStatus().isOk();
    String payment = pay(merchant, 10_000, "KES");

    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isZero();
    assertThat(db.sql("SELECT settled_at FROM payments WHERE id = :id").bind("id", payment)
        .map(row -> java.util.Optional.ofNullable(row.get(0, Instant.class))).one().block(DB)).isEmpty();
    assertThat(balance("merchant:" + merchant.merchantId() + ":pending:KES")).isEqualTo(10_000 - 290);
    assertThat(meters.get("malipo.settlement.fx.awaiting_rate").gauge().value()).isGreaterThanOrEqualTo(1);

    FxRate kesZar = new FxRate(CurrencyUnit.ZAR, CurrencyUnit.KES, new BigDecimal("7.2612"),
        Instant.now().minus(1, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MICROS), "treasury desk");
    rates.add(List.of(kesZar)).block(DB);
    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isEqualTo(1);
    long expected = FxConversion.convert(10_000 - 290, CurrencyUnit.KES, CurrencyUnit.ZAR, kesZar).convertedMinor();
    assertThat(balance("merchant:" + merchant.merchantId() + ":available:ZAR")).isEqualTo(expected);
    assertThat(balance("merchant:" + merchant.merchantId() + ":pending:KES")).isZero();
    web.get().uri("/v1/fx_rates").headers(h -> h.setBearerAuth(operator.token())).exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.data[?(@.base == 'ZAR' && @.quote == 'KES')].rate").isEqualTo("7.2612")
        .jsonPath("$.data[?(@.base == 'EUR' && @.quote == 'XOF')].rate").isEqualTo("655.957");
    web.get().uri("/v1/fx_rates").headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isForbidden();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void refusesASettlementCurrencyThatIsNotAnIsoCodeMalipoSupports() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    for (String bad : List.of("\"EURO\"", "\"eur\"", "\"XXX\"", "\"\"", "978")) {
      schedule(operator, merchant, bad).expectStatus().isBadRequest().expectBody()
          .jsonPath("$.code").value(code -> assertThat(code).isIn("parameter_invalid", "invalid_request", "invalid_json"))
          .jsonPath("$.param").isEqualTo("settlement_currency");
    }
    assertThat(db.sql("SELECT count(*) FROM merchant_settlement_schedules WHERE merchant_id = :m")
        .bind("m", merchant.merchantId()).map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
  }

  @Test
  void aCrashBetweenTheSettlementWritesLeavesNothingAndTheNextPassSettlesOnce() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    schedule(operator, merchant, "\"EUR\"").expectStatus().isOk();
    String payment = pay(merchant, 50_000, "XOF");
    // The process dies after the settlement row and the converted entry are written, before the
    // payment is marked settled: here the last write fails, which aborts the transaction alike.
    String trigger = "fx_crash_" + payment.replaceAll("[^A-Za-z0-9]", "_").toLowerCase();
    db.sql("""
        CREATE FUNCTION %1$s() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.id = '%2$s' AND NEW.settled_at IS NOT NULL THEN RAISE EXCEPTION 'process died'; END IF;
            RETURN NEW;
        END $$""".formatted(trigger, payment)).then().block(DB);
    db.sql("CREATE TRIGGER %1$s BEFORE UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION %1$s()".formatted(trigger))
        .then().block(DB);
    try {
      assertThatThrownBy(() -> settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB))
          .hasMessageContaining("process died");
    } finally {
      db.sql("DROP TRIGGER %1$s ON payments; DROP FUNCTION %1$s()".formatted(trigger)).then().block(DB);
    }
    assertThat(db.sql("SELECT count(*) FROM journal_entries WHERE payment_id = :p AND kind = 'settlement'")
        .bind("p", payment).map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
    assertThat(db.sql("SELECT count(*) FROM settlements WHERE merchant_id = :m").bind("m", merchant.merchantId())
        .map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
    assertThat(balance("merchant:" + merchant.merchantId() + ":pending:XOF")).isEqualTo(50_000 - 1_450);
    assertThat(balance("merchant:" + merchant.merchantId() + ":available:EUR")).isZero();

    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isEqualTo(1);
    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isZero();
    assertThat(db.sql("SELECT count(*) FROM journal_entries WHERE payment_id = :p AND kind = 'settlement'")
        .bind("p", payment).map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1);
    assertThat(balance("merchant:" + merchant.merchantId() + ":available:EUR"))
        .isEqualTo(FxConversion.convert(50_000 - 1_450, CurrencyUnit.XOF, CurrencyUnit.EUR, PARITY).convertedMinor());
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aRefundAfterTheSettlementIsFundedFromTheSettlementCurrencyAtTheLatestRate() {
    TestMerchant merchant = xofMerchantSettledInEur();
    String payment = pay(merchant, 65_596, "XOF");
    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isEqualTo(1);
    long settledEur = balance("merchant:" + merchant.merchantId() + ":available:EUR");
    assertThat(settledEur).isPositive();

    JsonNode refund = body(refund(merchant, payment, 10_000).expectStatus().isCreated());
    assertThat(refund.get("status").asString()).isEqualTo("succeeded");

    FxConversion.Converted bought = FxConversion.convert(10_000, CurrencyUnit.XOF, CurrencyUnit.EUR, PARITY);
    assertThat(balance("merchant:" + merchant.merchantId() + ":available:EUR")).isEqualTo(settledEur - bought.convertedMinor());
    assertThat(balance("merchant:" + merchant.merchantId() + ":available:XOF")).isZero();
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
    TestMerchant merchant = xofMerchantSettledInEur();
    String first = pay(merchant, 65_596, "XOF");
    String second = pay(merchant, 65_596, "XOF");
    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isEqualTo(2);
    // Each payment settled its net (fees kept); a full refund buys back its gross: the second no longer fits.
    refund(merchant, first, 65_596).expectStatus().isCreated();
    long eurLeft = balance("merchant:" + merchant.merchantId() + ":available:EUR");
    assertThat(FxConversion.convert(65_596, CurrencyUnit.XOF, CurrencyUnit.EUR, PARITY).convertedMinor()).isGreaterThan(eurLeft);

    JsonNode refused = body(refund(merchant, second, 65_596).expectStatus().isEqualTo(422));
    assertThat(refused.get("code").asString()).isEqualTo("insufficient_balance");
    assertThat(refused.get("detail").asString()).contains("available EUR");

    assertThat(balance("merchant:" + merchant.merchantId() + ":available:EUR")).isEqualTo(eurLeft);
    assertThat(count("SELECT count(*) FROM refunds WHERE payment_id = :p", second)).isZero();
    assertThat(count("SELECT refunded_minor FROM payments WHERE id = :p", second)).isZero();
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :p AND kind = 'refund_conversion'", second))
        .isZero();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aRefundTheAcquirerRefusesGivesTheBoughtBackMoneyBackInTheChargeCurrency() {
    TestMerchant merchant = xofMerchantSettledInEur();
    String payment = pay(merchant, 65_596, "XOF", "4000000000005126"); // its refunds are declined by the sandbox acquirer
    assertThat(settlement.settleDue(Duration.ofDays(365), merchant.merchantId()).block(DB)).isEqualTo(1);
    long settledEur = balance("merchant:" + merchant.merchantId() + ":available:EUR");

    JsonNode refund = body(refund(merchant, payment, 10_000).expectStatus().isCreated());
    assertThat(refund.get("status").asString()).isEqualTo("failed");
    assertThat(refund.get("failure").get("code").asString()).isEqualTo("refund_declined");

    FxConversion.Converted bought = FxConversion.convert(10_000, CurrencyUnit.XOF, CurrencyUnit.EUR, PARITY);
    assertThat(balance("merchant:" + merchant.merchantId() + ":available:EUR")).isEqualTo(settledEur - bought.convertedMinor());
    assertThat(balance("merchant:" + merchant.merchantId() + ":available:XOF")).isEqualTo(10_000);
    assertThat(count("SELECT refunded_minor FROM payments WHERE id = :p", payment)).isZero();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  /** A merchant that may refund, settled T+0 in EUR. */
  private TestMerchant xofMerchantSettledInEur() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
    schedule(operator, merchant, "\"EUR\"").expectStatus().isOk();
    return merchant;
  }

  private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec refund(TestMerchant merchant,
      String payment, long amount) {
    return web.post().uri("/v1/payments/{id}/refunds", payment).headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": " + amount + "}").exchange();
  }

  private JsonNode body(org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec spec) {
    return json.readTree(spec.expectBody().returnResult().getResponseBody());
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("p", id).map(row -> ((Number) row.get(0)).longValue()).one().block(DB);
  }

  private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec schedule(TestMerchant operator,
      TestMerchant merchant, String currency) {
    return web.put().uri("/v1/merchants/{id}/settlement_schedule", merchant.merchantId())
        .headers(h -> h.setBearerAuth(operator.token())).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"frequency\": \"daily\", \"delay_days\": 0, \"settlement_currency\": " + currency + "}").exchange();
  }

  private long balance(String account) {
    return db.sql("SELECT balance_minor FROM ledger_accounts WHERE id = :id").bind("id", account)
        .map(row -> row.get(0, Long.class)).one().defaultIfEmpty(0L).block(DB);
  }

  /** The merchant's settlement entries' postings on a shared account, one side. */
  private long sum(TestMerchant merchant, String account, char side) {
    return db.sql("""
            SELECT coalesce(sum(po.amount_minor), 0) FROM postings po JOIN journal_entries e ON e.id = po.entry_id
            JOIN payments p ON p.id = e.payment_id
            WHERE p.merchant_id = :m AND e.kind = 'settlement' AND po.account_id = :a AND po.direction = :d""")
        .bind("m", merchant.merchantId()).bind("a", account).bind("d", String.valueOf(side))
        .map(row -> ((Number) row.get(0)).longValue()).one().block(DB);
  }

  private String pay(TestMerchant merchant, long amount, String currency) {
    return pay(merchant, amount, currency, "4242424242424242");
  }

  private String pay(TestMerchant merchant, long amount, String currency, String card) {
    JsonNode payment = json.readTree(web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "%s", "payment_method": {"type": "card", "number": "%s",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(amount, currency, card))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody());
    assertThat(payment.get("status").asString()).as("payment %s", payment).isEqualTo("succeeded");
    return payment.get("id").asString();
  }
}
