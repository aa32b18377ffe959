package org.malipo.gateway.payout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.ledger.Ledger;
import org.malipo.gateway.ledger.SettlementJob;
import org.malipo.gateway.rail.PayoutRails;
import org.malipo.gateway.rail.PayoutRequest;
import org.malipo.gateway.sandbox.SandboxFaults;
import org.malipo.gateway.sandbox.SandboxServer;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Payouts over HTTP (issue 21) against the real database and the sandbox's M-Pesa B2C and MoMo
 * Disbursements simulators: reservation, outcomes and their ledger entries, each fault of the
 * closing note (recipient refused, result never sent, answer lost, crash between reservation and
 * send, client hang-up, duplicate and forged results), limits, idempotency and tenant isolation.
 */
class PayoutIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final Duration SETTLED = Duration.ofSeconds(30);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired SettlementJob settlement;
  @Autowired SandboxServer sandbox;
  @Autowired PayoutRails payoutRails;
  @Autowired PayoutRepository payouts;
  @Autowired Ledger ledger;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write",
        "payouts:write", "payouts:read");
  }

  @Test
  void paysOutToTheMpesaTestNumberOnceAndPostsTheReservationToTheRailsClearingAccount() {
    fundKes(100_000);
    JsonNode created = payout(50_000, "KES", "mpesa", "+254708374149", UUID.randomUUID().toString())
        .expectStatus().isCreated().expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(created.get("id").asString()).startsWith("po_");
    assertThat(created.get("object").asString()).isEqualTo("payout");
    assertThat(created.get("amount").asLong()).isEqualTo(50_000);
    assertThat(created.get("fee").asLong()).as("1 % by default").isEqualTo(500);
    assertThat(created.get("destination").get("msisdn").asString()).isEqualTo("+25470****149");
    assertThat(created.get("destination").get("operator").asString()).isEqualTo("mpesa");
    assertThat(created.get("livemode").asBoolean()).isFalse();
    assertThat(created.get("failure").isNull()).isTrue();
    String id = created.get("id").asString();

    assertThat(awaitFinal(id).get("status").asString()).isEqualTo("succeeded");
    assertThat(available("KES")).isEqualTo(availableAfterFunding(100_000) - 50_500);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payout_id = :id AND kind = 'payout'", id)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id", id)).as("created, succeeded").isEqualTo(2);
    assertThat(count("SELECT count(*) FROM audit_events WHERE target_id = :id AND action = 'payout.created'", id))
        .isEqualTo(1);
    assertThat(sandbox.payoutRequestsReceived(id)).as("the payout reached M-Pesa once").isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aRecipientMpesaRefusesFailsThePayoutAndReleasesTheReservation() {
    fundKes(100_000);
    String id = created(payout(20_000, "KES", "mpesa", "+254700000011", UUID.randomUUID().toString()));
    JsonNode failed = awaitFinal(id);
    assertThat(failed.get("status").asString()).isEqualTo("failed");
    assertThat(failed.get("failure").get("code").asString()).isEqualTo("recipient_invalid");
    assertThat(available("KES")).isEqualTo(availableAfterFunding(100_000));
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type = 'payout.failed'", id)).isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aPayoutWhoseResultNeverComesIsSettledByTransactionStatusNeverSentAgain() {
    fundKes(100_000);
    String id = created(payout(30_000, "KES", "mpesa", "+254700000012", UUID.randomUUID().toString()));
    assertThat(awaitFinal(id).get("status").asString()).isEqualTo("succeeded");
    assertThat(sandbox.payoutRequestsReceived(id)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM inbox WHERE rail = 'mpesa_b2c' AND reference_hint = :id", id))
        .as("the Transaction Status result, no B2C result").isGreaterThanOrEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aPayoutWhoseAnswerWasLostIsSettledByTheStatusQuery() {
    fundKes(100_000);
    // The first transaction committed, the B2C request reached M-Pesa, its answer was lost.
    Payout payout = reserveWithoutSending(10_000, "+254708374149");
    payoutRails.byName("mpesa").orElseThrow()
        .send(new PayoutRequest(payout.id(), payout.amount(), payout.msisdn(), null)).block(DB);
    assertThat(awaitFinal(payout.id()).get("status").asString()).isEqualTo("succeeded");
    assertThat(sandbox.payoutRequestsReceived(payout.id())).as("never sent again").isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aPayoutReservedButNeverSentBeforeACrashFailsAndIsReleasedWithoutReachingTheRail() {
    fundKes(100_000);
    Payout payout = reserveWithoutSending(10_000, "+254708374149");
    JsonNode failed = awaitFinal(payout.id());
    assertThat(failed.get("status").asString()).isEqualTo("failed");
    assertThat(failed.get("failure").get("code").asString()).isEqualTo("provider_unavailable");
    assertThat(sandbox.payoutRequestsReceived(payout.id())).isZero();
    assertThat(available("KES")).isEqualTo(availableAfterFunding(100_000));
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aClientThatHangsUpDoesNotStopThePayout() {
    fundKes(100_000);
    String key = UUID.randomUUID().toString();
    // M-Pesa answers the B2C request after 2 s; the client gives up after 300 ms, mid-call.
    sandbox.faults().set("mpesa_b2c", new SandboxFaults.Fault(Duration.ofSeconds(2), false));
    try {
      web.mutate().responseTimeout(Duration.ofMillis(300)).build().post().uri("/v1/payouts")
          .headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", key)
          .contentType(MediaType.APPLICATION_JSON).bodyValue(body(10_000, "KES", "mpesa", "+254708374149"))
          .exchange();
    } catch (RuntimeException | AssertionError hungUp) {
      // the client gave up; the payout runs on
    } finally {
      sandbox.faults().set("mpesa_b2c", new SandboxFaults.Fault(Duration.ZERO, false));
    }
    String id = eventually(() -> db.sql("SELECT id FROM payouts WHERE merchant_id = :m")
        .bind("m", merchant.merchantId()).map(row -> row.get("id", String.class)).first().block(DB));
    assertThat(awaitFinal(id).get("status").asString()).isEqualTo("succeeded");
    JsonNode replay = payout(10_000, "KES", "mpesa", "+254708374149", key).expectStatus().isCreated()
        .expectHeader().valueEquals("Idempotent-Replayed", "true").expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(replay.get("id").asString()).isEqualTo(id);
    assertThat(sandbox.payoutRequestsReceived(id)).isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void anAvailableBalanceThatCannotCoverAmountAndFeeIsRefusedAndRecordsNothing() {
    fundKes(10_000);
    long available = available("KES");
    String key = UUID.randomUUID().toString();
    String tooMuch = body(roundDownToShillings(available), "KES", "mpesa", "+254708374149");
    web.post().uri("/v1/payouts").headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", key)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(tooMuch).exchange()
        .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("insufficient_balance");
    assertThat(count("SELECT count(*) FROM payouts WHERE merchant_id = :id", merchant.merchantId())).isZero();
    assertThat(count("SELECT count(*) FROM idempotency_keys WHERE merchant_id = :id AND resource_id LIKE 'po_%'",
        merchant.merchantId()))
        .as("the key is free again").isZero();
    assertThat(available("KES")).isEqualTo(available);
  }

  @Test
  void amountsOutsideTheRailsLimitsAreRefused() {
    fundKes(100_000);
    payout(500, "KES", "mpesa", "+254708374149", UUID.randomUUID().toString())
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("amount_invalid");
    payout(25_000_100, "KES", "mpesa", "+254708374149", UUID.randomUUID().toString())
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("amount_invalid");
    payout(1_050, "KES", "mpesa", "+254708374149", UUID.randomUUID().toString())
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("amount_invalid");
    payout(10_000, "UGX", "mpesa", "+254708374149", UUID.randomUUID().toString())
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("currency_unsupported");
    payout(10_000, "KES", "mpesa", "+256770000000", UUID.randomUUID().toString())
        .expectStatus().isBadRequest().expectBody().jsonPath("$.param").isEqualTo("destination.msisdn");
    payout(10_000, "KES", "airtel", "+254708374149", UUID.randomUUID().toString())
        .expectStatus().isBadRequest().expectBody().jsonPath("$.param").isEqualTo("destination.operator");
  }

  @Test
  void theDailyLimitPerMerchantAndRailIsEnforced() {
    fundKes(110_000_000);
    for (int i = 0; i < 4; i++) {
      created(payout(25_000_000, "KES", "mpesa", "+254708374149", UUID.randomUUID().toString()));
    }
    payout(1_000, "KES", "mpesa", "+254708374149", UUID.randomUUID().toString())
        .expectStatus().isEqualTo(422).expectBody().jsonPath("$.code").isEqualTo("payout_limit_exceeded");
    assertThat(count("SELECT count(*) FROM payouts WHERE merchant_id = :id", merchant.merchantId())).isEqualTo(4);
  }

  @Test
  void takesTheNationalFormAndDigitsWithTheCountryCode() {
    fundKes(100_000);
    for (String number : java.util.List.of("0708374149", "254708374149", "+254 708 374 149")) {
      JsonNode created = payout(10_000, "KES", "mpesa", number, UUID.randomUUID().toString())
          .expectStatus().isCreated().expectBody(JsonNode.class).returnResult().getResponseBody();
      assertThat(created.get("destination").get("msisdn").asString()).as(number).isEqualTo("+25470****149");
      awaitFinal(created.get("id").asString());
    }
  }

  @Test
  void aKeyReplaysItsPayoutAndRefusesAnotherBody() {
    fundKes(100_000);
    String key = UUID.randomUUID().toString();
    String id = created(payout(10_000, "KES", "mpesa", "+254708374149", key));
    payout(10_000, "KES", "mpesa", "+254708374149", key).expectStatus().isCreated()
        .expectHeader().valueEquals("Idempotent-Replayed", "true").expectBody().jsonPath("$.id").isEqualTo(id);
    payout(20_000, "KES", "mpesa", "+254708374149", key).expectStatus().isEqualTo(422)
        .expectBody().jsonPath("$.code").isEqualTo("idempotency_key_reused");
    awaitFinal(id);
    assertThat(count("SELECT count(*) FROM payouts WHERE merchant_id = :id", merchant.merchantId())).isEqualTo(1);
  }

  @Test
  void anotherMerchantNeitherSeesNorListsAPayoutAndScopesAreRequired() {
    fundKes(100_000);
    String id = created(payout(10_000, "KES", "mpesa", "+254708374149", UUID.randomUUID().toString()));
    TestMerchant other = TestMerchants.create(db, clients, web, "payouts:read", "payouts:write");
    web.get().uri("/v1/payouts/" + id).headers(h -> h.setBearerAuth(other.token())).exchange()
        .expectStatus().isNotFound().expectBody().jsonPath("$.code").isEqualTo("not_found");
    web.get().uri("/v1/payouts").headers(h -> h.setBearerAuth(other.token())).exchange()
        .expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(0);
    TestMerchant payer = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    web.post().uri("/v1/payouts").headers(h -> h.setBearerAuth(payer.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body(10_000, "KES", "mpesa", "+254708374149")).exchange()
        .expectStatus().isForbidden().expectBody().jsonPath("$.code").isEqualTo("insufficient_scope");
    web.get().uri("/v1/payouts").headers(h -> h.setBearerAuth(payer.token())).exchange().expectStatus().isForbidden();
  }

  @Test
  void listsPayoutsNewestFirstByStatusAndPage() {
    fundKes(100_000);
    String first = created(payout(10_000, "KES", "mpesa", "+254708374149", UUID.randomUUID().toString()));
    String second = created(payout(10_000, "KES", "mpesa", "+254700000011", UUID.randomUUID().toString()));
    awaitFinal(first);
    awaitFinal(second);
    web.get().uri("/v1/payouts?limit=1").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody()
        .jsonPath("$.object").isEqualTo("list").jsonPath("$.data[0].id").isEqualTo(second).jsonPath("$.has_more").isEqualTo(true);
    web.get().uri("/v1/payouts?starting_after=" + second).headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody().jsonPath("$.data[0].id").isEqualTo(first).jsonPath("$.has_more").isEqualTo(false);
    web.get().uri("/v1/payouts?status=failed").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(1).jsonPath("$.data[0].id").isEqualTo(second);
  }

  @Test
  void duplicateForgedAndUnknownResultsChangeNothing() {
    fundKes(100_000);
    String id = created(payout(10_000, "KES", "mpesa", "+254708374149", UUID.randomUUID().toString()));
    assertThat(awaitFinal(id).get("status").asString()).isEqualTo("succeeded");
    String success = """
        {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"ok","OriginatorConversationID":"%s",
         "ConversationID":"AG_1","TransactionID":"X1","ResultParameters":{"ResultParameter":[
         {"Key":"TransactionAmount","Value":%d}]}}}""";
    mpesaResult(id, success.formatted(id, 100)).expectStatus().isOk().expectBody().jsonPath("$.ResultCode").isEqualTo(0);
    mpesaResult("po_unknown", success.formatted("po_unknown", 100)).expectStatus().isOk();
    web.post().uri("/v1/callbacks/mpesa/wrong-token/b2c/result?ref=" + id).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(success.formatted(id, 100)).exchange().expectStatus().isNotFound();
    assertThat(verdicts(id)).contains("duplicate");
    assertThat(verdicts("po_unknown")).containsExactly("orphan");
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id", id)).isEqualTo(2);

    // A forged success for a pending payout with another amount: a mismatch, nothing applied.
    Payout pending = reserveWithoutSending(10_000, "+254708374149");
    mpesaResult(pending.id(), success.formatted(pending.id(), 999)).expectStatus().isOk();
    assertThat(verdicts(pending.id())).containsExactly("mismatch");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void paysOutToTheMomoTestNumbersFromAUgxBalance() {
    fundUgxByMomo(500_000);
    String paid = created(payout(100_000, "UGX", "mtn_momo", "+256770000000", UUID.randomUUID().toString()));
    String refused = created(payout(50_000, "UGX", "mtn_momo", "+256770000011", UUID.randomUUID().toString()));
    assertThat(awaitFinal(paid).get("status").asString()).isEqualTo("succeeded");
    JsonNode failed = awaitFinal(refused);
    assertThat(failed.get("status").asString()).isEqualTo("failed");
    assertThat(failed.get("failure").get("code").asString()).isEqualTo("recipient_invalid");
    assertThat(sandbox.payoutRequestsReceived(org.malipo.gateway.rail.mtnmomo.MtnMomoRail.referenceId(paid))).isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  // --- helpers ---------------------------------------------------------------------------------

  /** What the first transaction of a payout leaves when the process dies before the send. */
  private Payout reserveWithoutSending(long amountMinor, String msisdn) {
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    Money amount = new Money(amountMinor, CurrencyUnit.KES);
    Money fee = new Money(amountMinor / 100, CurrencyUnit.KES);
    Payout payout = new Payout(Ids.next("po"), merchant.merchantId(), UUID.randomUUID().toString(), Payout.PENDING,
        amount, fee, "mpesa", "mpesa", msisdn, null, null, null, Map.of(), false, null, null, null, null, now, now);
    payouts.insert(payout).then(ledger.postPayoutReserve(payout.id(), payout.merchantId(), payout.total())).block(DB);
    return payout;
  }

  private WebTestClient.ResponseSpec mpesaResult(String ref, String body) {
    return web.post().uri("/v1/callbacks/mpesa/local-mpesa-callback-token/b2c/result?ref=" + ref)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  private java.util.List<String> verdicts(String ref) {
    return db.sql("SELECT verdict FROM inbox WHERE reference_hint = :ref ORDER BY id").bind("ref", ref)
        .map(row -> row.get("verdict", String.class)).all().collectList().block(DB);
  }

  private static String body(long amount, String currency, String operator, String msisdn) {
    return """
        {"amount": %d, "currency": "%s", "destination": {"type": "mobile_money", "operator": "%s",
         "msisdn": "%s", "name": "Jane Doe"}, "reference": "po-test", "metadata": {"batch": "b-1"}}"""
        .formatted(amount, currency, operator, msisdn);
  }

  private WebTestClient.ResponseSpec payout(long amount, String currency, String operator, String msisdn, String key) {
    return web.post().uri("/v1/payouts").headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", key)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body(amount, currency, operator, msisdn)).exchange();
  }

  private static String created(WebTestClient.ResponseSpec spec) {
    return spec.expectStatus().isCreated().expectBody(JsonNode.class).returnResult().getResponseBody().get("id").asString();
  }

  private JsonNode awaitFinal(String id) {
    return eventually(() -> {
      JsonNode payout = web.get().uri("/v1/payouts/" + id).headers(h -> h.setBearerAuth(merchant.token())).exchange()
          .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
      return "pending".equals(payout.get("status").asString()) ? null : payout;
    });
  }

  /** Pays {@code amountMinor} KES by card (2.9 % fee) and settles it to available. */
  private void fundKes(long amountMinor) {
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(amountMinor))
        .exchange().expectStatus().isCreated().expectBody().jsonPath("$.status").isEqualTo("succeeded");
    settlement.settleDue(Duration.ZERO, merchant.merchantId()).block(DB);
  }

  private void fundUgxByMomo(long amountMinor) {
    String id = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "UGX", "payment_method": {"type": "mobile_money", "operator": "mtn_momo",
             "msisdn": "+256770000000"}}""".formatted(amountMinor))
        .exchange().expectStatus().isCreated().expectBody(JsonNode.class).returnResult().getResponseBody()
        .get("id").asString();
    eventually(() -> "succeeded".equals(db.sql("SELECT status FROM payments WHERE id = :id").bind("id", id)
        .map(row -> row.get("status", String.class)).one().block(DB)) ? true : null);
    settlement.settleDue(Duration.ZERO, merchant.merchantId()).block(DB);
  }

  /** The card fee is 290 bp, half-up. */
  private static long availableAfterFunding(long amountMinor) {
    return amountMinor - new Money(amountMinor, CurrencyUnit.KES).basisPoints(290).amountMinor();
  }

  private static long roundDownToShillings(long minor) {
    return minor - minor % 100;
  }

  private long available(String currency) {
    JsonNode balance = web.get().uri("/v1/balance").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
    for (JsonNode row : balance.get("currencies")) {
      if (currency.equals(row.get("currency").asString())) {
        return row.get("available").asLong();
      }
    }
    return 0;
  }

  private long count(String sql, String id) {
    String bound = sql.contains(":id") ? sql : sql;
    return db.sql(bound).bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB);
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
