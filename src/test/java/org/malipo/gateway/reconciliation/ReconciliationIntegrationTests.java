package org.malipo.gateway.reconciliation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 23 end to end against real PostgreSQL and the sandbox rails: payments on M-Pesa and a
 * card acquirer, the rails' statements for today, one amount altered and one line deleted, the
 * uploads' counts and items, the same file again, a lost STK answer settled by its statement line
 * through the payment core, exceptions resolved, suspense back to the open exceptions' sum and
 * the trial balance balanced; and malformed files refused with nothing recorded.
 */
class ReconciliationIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired org.malipo.gateway.ledger.SettlementJob settlement;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "admin");
  }

  @Test
  void statementsOnTwoRailsReconcileAndResolvingTheExceptionsEmptiesTheirSuspense() {
    long unexplainedBefore = unexplainedSuspense();
    String a = pay(mpesa("+254708374149", 155_000));
    String b = pay(mpesa("+254708374149", 255_000));
    String c = pay(mpesa("+254708374149", 355_000));
    String lost = pay(mpesa("+254700000004", 100_000));
    String e = pay(card(1_550));
    String f = pay(card(2_550));
    for (String id : List.of(a, b, c)) {
      awaitStatus(id, "succeeded");
    }
    assertThat(payment(lost).get("status").asString()).isEqualTo("pending");

    // M-Pesa: only this test's lines; B's amount altered, C's line deleted.
    List<String> mpesaLines = statement("mpesa");
    String edited = mpesaLines.getFirst() + "\r\n"
        + lineOf(mpesaLines, a) + "\r\n"
        + lineOf(mpesaLines, b).replace(",2550.00,", ",2560.00,") + "\r\n"
        + lineOf(mpesaLines, lost) + "\r\n";
    JsonNode run = upload("mpesa", edited, 201);
    assertThat(run.get("id").asString()).startsWith("rec_");
    assertThat(run.get("object").asString()).isEqualTo("reconciliation_run");
    assertThat(run.get("status").asString()).isEqualTo("completed");
    assertThat(run.get("counts").get("matched").asInt()).isEqualTo(2);
    assertThat(run.get("counts").get("amount_mismatch").asInt()).isEqualTo(1);
    assertThat(run.get("counts").get("fee_mismatch").asInt()).isZero();
    assertThat(run.get("counts").get("missing_in_gateway").asInt()).isZero();
    assertThat(run.get("counts").get("missing_in_rail").asInt()).isGreaterThanOrEqualTo(1);
    assertThat(run.get("totals").get("rail_amount").asLong()).isEqualTo(155_000 + 256_000 + 100_000);
    assertThat(run.get("totals").get("currency").asString()).isEqualTo("KES");
    String runId = run.get("id").asString();

    // The lost answer was settled by its line, through the payment core.
    assertThat(payment(lost).get("status").asString()).isEqualTo("succeeded");
    Map<String, JsonNode> items = itemsByPayment(runId);
    assertThat(items.get(a).get("result").asString()).isEqualTo("matched");
    assertThat(items.get(b).get("result").asString()).isEqualTo("amount_mismatch");
    assertThat(items.get(b).get("rail_amount").asLong()).isEqualTo(256_000);
    assertThat(items.get(c).get("result").asString()).isEqualTo("missing_in_rail");
    assertThat(items.get(c).has("line")).isFalse();
    assertThat(items.get(lost).get("result").asString()).isEqualTo("matched");
    assertThat(items.get(lost).get("settled_payment").asBoolean()).isTrue();

    // The same file again: the same run, nothing new.
    long runs = count("SELECT count(*) FROM reconciliation_runs");
    assertThat(upload("mpesa", edited, 200).get("id").asString()).isEqualTo(runId);
    assertThat(count("SELECT count(*) FROM reconciliation_runs")).isEqualTo(runs);

    // The card acquirer's settlement file: both matched, its interchange booked as rail fees.
    String acquirer = payment(e).get("provider").asString();
    List<String> cardLines = statement(acquirer);
    StringBuilder cardFile = new StringBuilder(cardLines.getFirst()).append("\r\n");
    for (String id : List.of(e, f)) {
      if (payment(id).get("provider").asString().equals(acquirer)) {
        cardFile.append(lineOf(cardLines, id)).append("\r\n");
      }
    }
    JsonNode cardRun = upload(acquirer, cardFile.toString(), 201);
    assertThat(cardRun.get("counts").get("matched").asInt()).isEqualTo(cardFile.toString().split("\r\n").length - 1);
    assertThat(cardRun.get("counts").get("fee_mismatch").asInt()).isZero();

    // Exceptions: one amount mismatch holding +1000 in suspense, C missing in the rail.
    Map<String, JsonNode> cases = openCasesOf(runId);
    JsonNode mismatch = cases.get(b);
    assertThat(mismatch.get("kind").asString()).isEqualTo("amount_mismatch");
    assertThat(mismatch.get("suspense_amount").asLong()).isEqualTo(1_000);
    assertThat(mismatch.get("evidence").get("rail_amount").asLong()).isEqualTo(256_000);
    JsonNode missing = cases.get(c);
    assertThat(missing.get("kind").asString()).isEqualTo("missing_in_rail");
    assertThat(missing.get("clearing_amount").asLong()).isEqualTo(355_000);
    assertThat(unexplainedSuspense()).isEqualTo(unexplainedBefore);

    // refund_payer has nothing to refund on a missing line; the operator's decisions then apply.
    resolve(missing.get("id").asString(), "refund_payer", 422);
    JsonNode resolved = resolve(mismatch.get("id").asString(), "accept_rail", 200);
    assertThat(resolved.get("status").asString()).isEqualTo("resolved");
    assertThat(resolved.get("resolution").asString()).isEqualTo("accept_rail");
    assertThat(resolved.get("resolution_entry").asString()).startsWith("je_");
    resolve(missing.get("id").asString(), "accept_gateway", 200);
    resolve(mismatch.get("id").asString(), "write_off", 409);

    assertThat(openCasesOf(runId)).doesNotContainKeys(b, c);
    assertThat(unexplainedSuspense()).isEqualTo(unexplainedBefore);
    // accept_rail credited the merchant the rail's extra 1000 (KES minor units).
    assertThat(count("SELECT balance_minor FROM ledger_accounts WHERE id = 'merchant:" + merchant.merchantId()
        + ":available:KES'")).isEqualTo(1_000);
    LedgerAudit.assertHolds(db, merchant.merchantId());
    JsonNode trial = json.readTree(web.get().uri("/v1/ledger/trial_balance").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
    for (JsonNode currency : trial.get("currencies")) {
      assertThat(currency.get("balanced").asBoolean()).as(currency.get("currency").asString()).isTrue();
    }
    assertThat(count("SELECT count(*) FROM audit_events WHERE action = 'exception.resolved' AND target_id = '"
        + mismatch.get("id").asString() + "'")).isEqualTo(1);
  }

  @Test
  void aMalformedFileIsRefusedNamingTheLineAndRecordsNothing() {
    String id = pay(card(4_550));
    String acquirer = payment(id).get("provider").asString();
    List<String> lines = statement(acquirer);
    String good = lineOf(lines, id);
    long runs = count("SELECT count(*) FROM reconciliation_runs");
    long items = count("SELECT count(*) FROM reconciliation_items");
    long cases = count("SELECT count(*) FROM payment_exceptions");

    JsonNode problem = uploadProblem(acquirer, lines.getFirst() + "\n" + good + "\n" + good.replaceFirst(",KES,", ",XYZ,") + "\n");
    assertThat(problem.get("code").asString()).isEqualTo("statement_invalid");
    assertThat(problem.get("line").asString()).isEqualTo("3");
    assertThat(problem.get("detail").asString()).contains("line 3");
    assertThat(uploadProblem(acquirer, "rail_reference\n" + good + "\n").get("line").asString()).isEqualTo("1");
    assertThat(uploadProblem(acquirer, lines.getFirst() + "\n").get("code").asString()).isEqualTo("statement_invalid");

    assertThat(count("SELECT count(*) FROM reconciliation_runs")).isEqualTo(runs);
    assertThat(count("SELECT count(*) FROM reconciliation_items")).isEqualTo(items);
    assertThat(count("SELECT count(*) FROM payment_exceptions")).isEqualTo(cases);
  }

  @Test
  void itemsPageByCursorAndFilterByResult() {
    String x = pay(card(1_250));
    String y = pay(card(1_350));
    String acquirer = payment(x).get("provider").asString();
    List<String> lines = statement(acquirer);
    StringBuilder file = new StringBuilder(lines.getFirst()).append("\n").append(lineOf(lines, x)).append("\n");
    if (payment(y).get("provider").asString().equals(acquirer)) {
      file.append(lineOf(lines, y)).append("\n");
    }
    // A line the gateway never saw.
    file.append("auth_unknown_" + UUID.randomUUID() + ",123456,"
        + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ",10.00,KES,0.15,9.85\n");
    String runId = upload(acquirer, file.toString(), 201).get("id").asString();

    List<String> seen = new ArrayList<>();
    String after = null;
    do {
      String cursor = after;
      JsonNode page = json.readTree(web.get().uri(u -> u.path("/v1/reconciliation/runs/{id}/items").queryParam("limit", 1)
              .queryParamIfPresent("starting_after", java.util.Optional.ofNullable(cursor)).build(runId))
          .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk().expectBody().returnResult()
          .getResponseBody());
      assertThat(page.get("data").size()).isLessThanOrEqualTo(1);
      page.get("data").forEach(item -> seen.add(item.get("id").asString()));
      after = page.get("has_more").asBoolean() ? seen.getLast() : null;
    } while (after != null);
    JsonNode all = items(runId, null);
    assertThat(seen).hasSize(all.size()).doesNotHaveDuplicates();
    JsonNode unknown = items(runId, "missing_in_gateway");
    assertThat(unknown.size()).isEqualTo(1);
    assertThat(unknown.get(0).get("rail_reference").asString()).startsWith("auth_unknown_");
    assertThat(unknown.get(0).get("exception_id").asString()).startsWith("exc_");

    web.get().uri("/v1/reconciliation/runs/{id}/items?result=bogus", runId).headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isBadRequest();
    web.get().uri("/v1/reconciliation/runs/rec_nope").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isNotFound();
  }

  @Test
  void onlyOperatorsReconcileAndTheRailMustExist() {
    TestMerchant plain = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    web.post().uri("/v1/reconciliation/runs?rail=mpesa").headers(h -> h.setBearerAuth(plain.token()))
        .contentType(MediaType.parseMediaType("text/csv")).bodyValue("x").exchange().expectStatus().isForbidden();
    web.get().uri("/v1/sandbox/rails/mpesa/statement?date=2026-01-01").headers(h -> h.setBearerAuth(plain.token()))
        .exchange().expectStatus().isForbidden();
    web.post().uri("/v1/reconciliation/runs?rail=nope").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.parseMediaType("text/csv")).bodyValue("x").exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.param").isEqualTo("rail");
    web.get().uri("/v1/sandbox/rails/nope/statement?date=2026-01-01").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isNotFound();
    web.get().uri("/v1/sandbox/rails/mpesa/statement?date=yesterday").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isBadRequest();
    web.post().uri("/v1/exceptions/exc_nope/resolve").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"action\": \"write_off\", \"note\": \"n\"}")
        .exchange().expectStatus().isNotFound();
    web.post().uri("/v1/exceptions/exc_nope/resolve").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"action\": \"forgive\", \"note\": \"n\"}")
        .exchange().expectStatus().isBadRequest().expectBody().jsonPath("$.param").isEqualTo("action");
  }

  @Test
  void aHeldAuthorizationSettlesForWhatWasCapturedAndAVoidedOneNever() {
    String partial = pay(card(5_000).replace("\"reference\"", "\"capture_method\": \"manual\", \"reference\""));
    String voided = pay(card(4_000).replace("\"reference\"", "\"capture_method\": \"manual\", \"reference\""));
    String held = pay(card(3_000).replace("\"reference\"", "\"capture_method\": \"manual\", \"reference\""));
    for (String id : List.of(partial, voided, held)) {
      awaitStatus(id, "requires_capture");
    }
    String rail = payment(partial).get("provider").asString();
    List<String> before = statement(rail);
    for (String id : List.of(partial, voided, held)) {
      assertThat(lineIfAny(before, id)).as("a held authorization is not settled yet").isNull();
    }
    operate(partial, "capture", "{\"amount\": 3000}");
    operate(voided, "cancel", "{}");
    awaitStatus(partial, "succeeded");
    awaitStatus(voided, "canceled");

    List<String> lines = statement(rail);
    assertThat(lineIfAny(lines, voided)).as("a voided authorization never settles").isNull();
    assertThat(lineIfAny(lines, held)).as("a held authorization is not settled yet").isNull();
    String captured = lineOf(lines, partial);
    assertThat(captured.split(",")[3]).as("the settled amount is the captured one").isEqualTo("30.00");

    JsonNode run = upload(rail, lines.getFirst() + "\n" + captured + "\n", 201);
    assertThat(run.get("counts").get("matched").asInt()).isEqualTo(1);
    assertThat(run.get("counts").get("amount_mismatch").asInt()).isZero();
    JsonNode item = itemsByPayment(run.get("id").asString()).get(partial);
    assertThat(item.get("result").asString()).isEqualTo("matched");
    assertThat(item.get("gateway_amount").asLong()).isEqualTo(3_000);
    assertThat(itemsByPayment(run.get("id").asString())).doesNotContainKeys(voided, held);
  }

  @Test
  void payoutsAndRefundsAreWithdrawnLinesMatchedAgainstTheGatewaysMoneyOut() {
    TestMerchant payer = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "admin",
        "refunds:write", "payouts:write", "payouts:read");
    merchant = payer;
    String funding = pay(card(1_000_000));
    awaitStatus(funding, "succeeded");
    settlement.settleDue(Duration.ZERO, payer.merchantId()).block(DB);
    String collected = pay(mpesa("+254708374149", 200_000));
    awaitStatus(collected, "succeeded");
    String refund = moneyOut("/v1/payments/" + collected + "/refunds", "{\"amount\": 50000}");
    List<String> payouts = new ArrayList<>();
    for (long amount : new long[] {50_000, 60_000, 70_000}) {
      payouts.add(moneyOut("/v1/payouts", """
          {"amount": %d, "currency": "KES", "destination": {"type": "mobile_money", "operator": "mpesa",
           "msisdn": "+254708374149"}}""".formatted(amount)));
    }
    awaitSucceeded("refunds", refund);
    payouts.forEach(id -> awaitSucceeded("payouts", id));
    long unexplainedBefore = unexplainedSuspense();

    List<String> lines = statement("mpesa");
    String refundLine = lineWith(lines, reference("refunds", refund));
    String[] lineOf = payouts.stream().map(id -> lineWith(lines, reference("payouts", id))).toArray(String[]::new);
    assertThat(refundLine).contains(",Completed,,500.00,");
    assertThat(lineOf[0]).contains("Business Payment to 254708374149").contains(",Completed,,500.00,");
    // The first payout and the refund as the rail wrote them, the second's Withdrawn altered, the third deleted.
    String edited = lines.getFirst() + "\r\n" + lineOf[0] + "\r\n"
        + lineOf[1].replace(",Completed,,600.00,", ",Completed,,610.00,") + "\r\n" + refundLine + "\r\n";
    JsonNode run = upload("mpesa", edited, 201);
    String runId = run.get("id").asString();
    assertThat(run.get("counts").get("matched").asInt()).isEqualTo(2);
    assertThat(run.get("counts").get("amount_mismatch").asInt()).isEqualTo(1);
    assertThat(run.get("counts").get("missing_in_gateway").asInt()).isZero();
    assertThat(run.get("totals").get("rail_amount").asLong()).as("net: money out is negative")
        .isEqualTo(-(50_000 + 61_000 + 50_000));
    Map<String, JsonNode> items = new java.util.HashMap<>();
    items(runId, null).forEach(item -> {
      for (String field : List.of("payout_id", "refund_id")) {
        if (item.has(field)) {
          items.put(item.get(field).asString(), item);
        }
      }
    });
    assertThat(items.get(payouts.get(0)).get("result").asString()).isEqualTo("matched");
    assertThat(items.get(payouts.get(0)).get("rail_amount").asLong()).isEqualTo(-50_000);
    assertThat(items.get(payouts.get(1)).get("result").asString()).isEqualTo("amount_mismatch");
    assertThat(items.get(payouts.get(2)).get("result").asString()).isEqualTo("missing_in_rail");
    assertThat(items.get(refund).get("result").asString()).isEqualTo("matched");
    assertThat(items.get(refund).has("payment_id")).as("a refund item names its refund only").isFalse();

    // Matched money out clears the clearing account the other way: D clearing, C bank.
    String entry = run.get("journal_entry").asString();
    assertThat(count("SELECT count(*) FROM postings WHERE entry_id = '" + entry
        + "' AND account_id = 'rail:mpesa:clearing:KES' AND direction = 'D'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM postings WHERE entry_id = '" + entry
        + "' AND account_id = 'bank:mpesa:settlement:KES' AND direction = 'C'")).isEqualTo(1);
    // The rail paid 10.00 more than the payout: suspense is short by it until resolved.
    String mismatch = caseOf(payouts.get(1));
    String missing = caseOf(payouts.get(2));
    assertThat(count("SELECT suspense_minor FROM payment_exceptions WHERE id = '" + mismatch + "'")).isEqualTo(-1_000);
    assertThat(count("SELECT clearing_minor FROM payment_exceptions WHERE id = '" + missing + "'")).isEqualTo(-70_000);
    assertThat(count("SELECT count(*) FROM payment_exceptions WHERE id = '" + missing + "' AND evidence->>'payout_id' = '"
        + payouts.get(2) + "'")).isEqualTo(1);
    assertThat(unexplainedSuspense()).isEqualTo(unexplainedBefore);
    assertThat(LedgerAudit.trialBalanceDifference(db)).isZero();

    resolve(mismatch, "refund_payer", 422); // v < 0: nothing held to give back
    resolve(mismatch, "write_off", 200);
    resolve(missing, "accept_gateway", 200);
    assertThat(unexplainedSuspense()).isEqualTo(unexplainedBefore);
    assertThat(count("SELECT count(*) FROM payment_exceptions WHERE id IN ('" + mismatch + "', '" + missing
        + "') AND resolved_at IS NULL")).isZero();
    assertThat(LedgerAudit.trialBalanceDifference(db)).isZero();

    // The deleted payout on a later statement: matched then, its missing case already closed, nothing twice.
    JsonNode later = upload("mpesa", lines.getFirst() + "\r\n" + lineOf[2] + "\r\n" + lineOf[0] + "\r\n", 201);
    assertThat(later.get("counts").get("matched").asInt()).isEqualTo(1);
    assertThat(later.get("counts").get("missing_in_gateway").asInt()).as("the first payout again").isEqualTo(1);
    assertThat(LedgerAudit.trialBalanceDifference(db)).isZero();
  }

  // --- helpers ---------------------------------------------------------------------------------

  private String moneyOut(String path, String body) {
    return json.readTree(web.post().uri(path).headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody()).get("id").asString();
  }

  private void awaitSucceeded(String table, String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (count("SELECT count(*) FROM " + table + " WHERE id = '" + id + "' AND status = 'succeeded'") == 0) {
      assertThat(System.nanoTime()).as("%s %s never succeeded", table, id).isLessThan(deadline);
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private String reference(String table, String id) {
    return db.sql("SELECT rail_reference FROM " + table + " WHERE id = :id").bind("id", id)
        .map(row -> row.get(0, String.class)).one().block(DB);
  }

  private static String lineWith(List<String> lines, String reference) {
    return lines.stream().filter(line -> line.contains(reference)).findFirst()
        .orElseThrow(() -> new AssertionError("no statement line has " + reference + ":\n" + String.join("\n", lines)));
  }

  private String caseOf(String payoutId) {
    return db.sql("SELECT id FROM payment_exceptions WHERE payout_id = :id AND resolved_at IS NULL").bind("id", payoutId)
        .map(row -> row.get(0, String.class)).one().block(DB);
  }

  private void operate(String paymentId, String action, String body) {
    web.post().uri("/v1/payments/" + paymentId + "/" + action).headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body).exchange().expectStatus().is2xxSuccessful();
  }

  /** The statement line of a payment, or null when the statement has none. */
  private String lineIfAny(List<String> lines, String paymentId) {
    String reference = db.sql("SELECT rail_reference FROM payment_attempts WHERE payment_id = :id AND rail_reference IS NOT NULL")
        .bind("id", paymentId).map(row -> row.get(0, String.class)).first().block(DB);
    return lines.stream().filter(line -> line.contains(reference)).findFirst().orElse(null);
  }

  private static String mpesa(String msisdn, long amount) {
    return """
        {"amount": %d, "currency": "KES", "reference": "order-23",
         "payment_method": {"type": "mobile_money", "operator": "mpesa", "msisdn": "%s"}}""".formatted(amount, msisdn);
  }

  private static String card(long amount) {
    return """
        {"amount": %d, "currency": "KES", "reference": "order-23",
         "payment_method": {"type": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""
        .formatted(amount);
  }

  private String pay(String body) {
    return json.readTree(web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody()).get("id").asString();
  }

  private JsonNode payment(String id) {
    return json.readTree(web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
  }

  private void awaitStatus(String id, String status) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!payment(id).get("status").asString().equals(status)) {
      assertThat(System.nanoTime()).as("payment %s never became %s", id, status).isLessThan(deadline);
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private List<String> statement(String rail) {
    String date = LocalDate.now(ZoneOffset.UTC).toString();
    byte[] body = web.get().uri("/v1/sandbox/rails/{rail}/statement?date={date}", rail, date)
        .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk()
        .expectHeader().contentTypeCompatibleWith(MediaType.parseMediaType("text/csv"))
        .expectBody().returnResult().getResponseBody();
    return new String(body, StandardCharsets.UTF_8).lines().toList();
  }

  /** The statement line of a payment, found by its attempt's rail reference. */
  private String lineOf(List<String> lines, String paymentId) {
    String reference = db.sql("SELECT rail_reference FROM payment_attempts WHERE payment_id = :id AND rail_reference IS NOT NULL")
        .bind("id", paymentId).map(row -> row.get(0, String.class)).first().block(DB);
    return lines.stream().filter(line -> line.contains(reference)).findFirst()
        .orElseThrow(() -> new AssertionError("no statement line for " + paymentId + " (" + reference + ")"));
  }

  private JsonNode upload(String rail, String csv, int status) {
    return json.readTree(web.post().uri("/v1/reconciliation/runs?rail={rail}", rail)
        .headers(h -> h.setBearerAuth(merchant.token())).contentType(MediaType.parseMediaType("text/csv"))
        .bodyValue(csv.getBytes(StandardCharsets.UTF_8)).exchange().expectStatus().isEqualTo(status)
        .expectBody().returnResult().getResponseBody());
  }

  private JsonNode uploadProblem(String rail, String csv) {
    return upload(rail, csv, 400);
  }

  private JsonNode items(String runId, String result) {
    return json.readTree(web.get().uri(u -> u.path("/v1/reconciliation/runs/{id}/items").queryParam("limit", 100)
            .queryParamIfPresent("result", java.util.Optional.ofNullable(result)).build(runId))
        .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk().expectBody().returnResult()
        .getResponseBody()).get("data");
  }

  private Map<String, JsonNode> itemsByPayment(String runId) {
    Map<String, JsonNode> byPayment = new java.util.HashMap<>();
    items(runId, null).forEach(item -> {
      if (item.has("payment_id")) {
        byPayment.put(item.get("payment_id").asString(), item);
      }
    });
    return byPayment;
  }

  /** The run's open exceptions by payment id. */
  private Map<String, JsonNode> openCasesOf(String runId) {
    Map<String, JsonNode> byPayment = new java.util.HashMap<>();
    JsonNode page = json.readTree(web.get().uri("/v1/exceptions?status=open&limit=100").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
    page.get("data").forEach(c -> {
      if (c.has("reconciliation_run") && c.get("reconciliation_run").asString().equals(runId) && c.has("payment_id")) {
        byPayment.put(c.get("payment_id").asString(), c);
      }
    });
    return byPayment;
  }

  private JsonNode resolve(String id, String action, int status) {
    return json.readTree(web.post().uri("/v1/exceptions/{id}/resolve", id).headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"action\": \"" + action + "\", \"note\": \"checked with the rail\"}")
        .exchange().expectStatus().isEqualTo(status).expectBody().returnResult().getResponseBody());
  }

  /** KES suspense (credit balance) minus Σ of the open exceptions' suspense: INVARIANTS.md 11 keeps it constant. */
  private long unexplainedSuspense() {
    long balance = count("""
        SELECT coalesce(sum(CASE WHEN direction = 'C' THEN amount_minor ELSE -amount_minor END), 0)
        FROM postings WHERE account_id = 'gateway:suspense:KES'""");
    long open = count("SELECT coalesce(sum(suspense_minor), 0) FROM payment_exceptions WHERE resolved_at IS NULL AND currency = 'KES'");
    return balance - open;
  }

  private long count(String sql) {
    Number value = db.sql(sql).map(row -> row.get(0, Number.class)).first().block(DB);
    return value == null ? 0 : value.longValue();
  }
}
