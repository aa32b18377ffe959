package org.malipo.gateway.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.sandbox.SandboxServer;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.SecondInstance;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Random sequences of payments, declines, duplicate requests, refunds, settlement and payouts
 * (issue 21: paid, refused by the recipient's operator, or settled only by the status query) against a
 * real gateway (PostgreSQL, Redis, Kafka), with the money invariants audited after every step
 * (INVARIANTS.md 1, 4, 5, 6, 8, 15): the ledger balances per currency, no merchant balance is
 * negative, every cached balance equals its postings, and the merchant's balances equal what was
 * captured minus fees minus what was refunded minus what was paid out with its fees (INVARIANTS.md
 * 19: Σ reserved + Σ paid out never exceeds what was available, which stays non-negative), and each
 * payout reached the rail at most once (INVARIANTS.md 20).
 */
class MoneyInvariantsPropertyTests {

  private static final Duration WAIT = Duration.ofSeconds(30);

  /** One thing a merchant or the operator does. */
  sealed interface Step {
    /** Pay {@code amountMinor} KES with an approving or a declining card. */
    record Pay(long amountMinor, boolean approved) implements Step {}

    /** Send the previous payment request again with its Idempotency-Key. */
    record Duplicate() implements Step {}

    /** Refund {@code amountMinor} of the n-th succeeded payment (modulo how many there are). */
    record Refund(int paymentIndex, long amountMinor) implements Step {}

    /** Run settlement for everything captured so far. */
    record Settle() implements Step {}

    /** Pay out {@code amountMinor} KES to one of the sandbox's M-Pesa numbers (paid, refused, no result). */
    record Payout(long amountMinor, int recipient) implements Step {}
  }

  @Provide
  Arbitrary<List<Step>> workloads() {
    Arbitrary<Step> pay = Arbitraries.longs().between(100, 50_000)
        .flatMap(amount -> Arbitraries.of(true, true, true, false).map(ok -> (Step) new Step.Pay(amount, ok)));
    Arbitrary<Step> duplicate = Arbitraries.just(new Step.Duplicate());
    Arbitrary<Step> refund = Arbitraries.integers().between(0, 20)
        .flatMap(index -> Arbitraries.longs().between(1, 30_000).map(amount -> (Step) new Step.Refund(index, amount)));
    Arbitrary<Step> settle = Arbitraries.just(new Step.Settle());
    Arbitrary<Step> payout = Arbitraries.longs().between(10, 300)
        .flatMap(shillings -> Arbitraries.integers().between(0, 2)
            .map(recipient -> (Step) new Step.Payout(shillings * 100, recipient)));
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, pay), net.jqwik.api.Tuple.of(2, duplicate),
            net.jqwik.api.Tuple.of(4, refund), net.jqwik.api.Tuple.of(2, settle), net.jqwik.api.Tuple.of(3, payout))
        .list().ofMinSize(4).ofMaxSize(14);
  }

  @Property(tries = 8, shrinking = ShrinkingMode.BOUNDED)
  void moneyInvariantsHoldAfterEveryStep(@ForAll("workloads") List<Step> steps) {
    Workload workload = new Workload();
    for (Step step : steps) {
      workload.run(step);
      workload.audit(step);
    }
  }

  /** One merchant's run against the second gateway instance. */
  private static final class Workload {
    private final DatabaseClient db = SecondInstance.bean(DatabaseClient.class);
    private final JsonMapper json = SecondInstance.bean(JsonMapper.class);
    private final WebTestClient web = SecondInstance.client();
    private final TestMerchant merchant = TestMerchants.create(db, SecondInstance.bean(ApiClients.class), web,
        "payments:write", "payments:read", "refunds:write", "payouts:write", "payouts:read");
    private final List<String> succeeded = new ArrayList<>();
    private String lastKey;
    private String lastBody;
    private byte[] lastAnswer;

    void run(Step step) {
      switch (step) {
        case Step.Pay pay -> {
          lastKey = UUID.randomUUID().toString();
          lastBody = """
              {"amount": %d, "currency": "KES", "payment_method": {"type": "card", "number": "%s",
               "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""
              .formatted(pay.amountMinor(), pay.approved() ? "4242424242424242" : "4000000000000002");
          lastAnswer = post("/v1/payments", lastKey, lastBody).expectStatus().isCreated()
              .expectBody().returnResult().getResponseBody();
          JsonNode payment = json.readTree(lastAnswer);
          assertThat(payment.get("status").asString()).isEqualTo(pay.approved() ? "succeeded" : "failed");
          if (pay.approved()) {
            succeeded.add(payment.get("id").asString());
          }
        }
        case Step.Duplicate duplicate -> {
          if (lastKey != null) {
            byte[] again = post("/v1/payments", lastKey, lastBody).expectStatus().isCreated()
                .expectHeader().valueEquals("Idempotent-Replayed", "true")
                .expectBody().returnResult().getResponseBody();
            assertThat(again).isEqualTo(lastAnswer);
          }
        }
        case Step.Refund refund -> {
          if (!succeeded.isEmpty()) {
            String payment = succeeded.get(refund.paymentIndex() % succeeded.size());
            EntityExchangeResult<byte[]> answer = post("/v1/payments/" + payment + "/refunds", UUID.randomUUID().toString(),
                "{\"amount\": " + refund.amountMinor() + "}").expectBody().returnResult();
            int status = answer.getStatus().value();
            assertThat(status).isIn(201, 422);
            if (status == 422) {
              assertThat(json.readTree(answer.getResponseBody()).get("code").asString())
                  .isIn("refund_exceeds_payment", "insufficient_balance");
            }
          }
        }
        case Step.Settle settle ->
            SecondInstance.bean(SettlementJob.class).settleDue(Duration.ZERO, merchant.merchantId()).block(WAIT);
        case Step.Payout payout -> {
          String msisdn = List.of("+254708374149", "+254700000011", "+254700000012").get(payout.recipient());
          EntityExchangeResult<byte[]> answer = post("/v1/payouts", UUID.randomUUID().toString(), """
              {"amount": %d, "currency": "KES", "destination": {"type": "mobile_money", "operator": "mpesa",
               "msisdn": "%s"}}""".formatted(payout.amountMinor(), msisdn)).expectBody().returnResult();
          int status = answer.getStatus().value();
          assertThat(status).isIn(201, 422);
          if (status == 422) {
            assertThat(json.readTree(answer.getResponseBody()).get("code").asString()).isEqualTo("insufficient_balance");
            return;
          }
          String id = json.readTree(answer.getResponseBody()).get("id").asString();
          awaitFinal(id);
          assertThat(SecondInstance.bean(SandboxServer.class).payoutRequestsReceived(id))
              .as("payout %s reached the rail once", id).isEqualTo(1);
        }
      }
    }

    private void awaitFinal(String payoutId) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!List.of("succeeded", "failed").contains(db.sql("SELECT status FROM payouts WHERE id = :id")
          .bind("id", payoutId).map(row -> row.get("status", String.class)).one().block(WAIT))) {
        assertThat(System.nanoTime()).as("payout %s final within %s", payoutId, WAIT).isLessThan(deadline);
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }

    private WebTestClient.ResponseSpec post(String path, String key, String body) {
      return web.post().uri(path).headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", key)
          .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    void audit(Step after) {
      String context = "after " + after;
      List<Map<String, Object>> unbalanced = db.sql("""
              SELECT currency FROM postings GROUP BY currency
              HAVING sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END) <> 0""")
          .fetch().all().collectList().block(WAIT);
      assertThat(unbalanced).as("currencies whose debits ≠ credits " + context).isEmpty();

      List<Map<String, Object>> accounts = db.sql("""
              SELECT a.id, a.balance_minor AS cached,
                     coalesce(sum(CASE WHEN p.direction = a.normal_side THEN p.amount_minor ELSE -p.amount_minor END), 0) AS derived
              FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.id
              WHERE starts_with(a.id, :prefix) GROUP BY a.id""")
          .bind("prefix", "merchant:" + merchant.merchantId() + ":").fetch().all().collectList().block(WAIT);
      long merchantTotal = 0;
      for (Map<String, Object> account : accounts) {
        long derived = ((Number) account.get("derived")).longValue();
        assertThat(derived).as("balance of %s %s", account.get("id"), context).isNotNegative();
        assertThat(((Number) account.get("cached")).longValue()).as("cached balance of %s %s", account.get("id"), context)
            .isEqualTo(derived);
        merchantTotal += derived;
      }

      Map<String, Object> expected = db.sql("""
              SELECT coalesce(sum(p.amount_minor - p.fee_minor) FILTER (WHERE p.status = 'succeeded'), 0) AS net_captured,
                     coalesce((SELECT sum(r.amount_minor) FROM refunds r
                               WHERE r.merchant_id = :merchant AND r.status = 'succeeded'), 0) AS refunded,
                     coalesce((SELECT sum(o.amount_minor + o.fee_minor) FROM payouts o
                               WHERE o.merchant_id = :merchant AND o.status = 'succeeded'), 0) AS paid_out,
                     count(*) FILTER (WHERE p.refunded_minor > p.amount_minor) AS over_refunded,
                     count(*) FILTER (WHERE p.status = 'succeeded' AND (SELECT count(*) FROM journal_entries e
                         WHERE e.payment_id = p.id AND e.kind = 'capture') <> 1) AS captures_wrong,
                     count(*) FILTER (WHERE p.status <> 'succeeded' AND EXISTS (SELECT 1 FROM journal_entries e
                         WHERE e.payment_id = p.id AND e.kind = 'capture')) AS captures_unexpected
              FROM payments p WHERE p.merchant_id = :merchant""")
          .bind("merchant", merchant.merchantId()).fetch().one().block(WAIT);
      long netCaptured = ((Number) expected.get("net_captured")).longValue();
      long refunded = ((Number) expected.get("refunded")).longValue();
      long paidOut = ((Number) expected.get("paid_out")).longValue();
      assertThat(merchantTotal).as("merchant balances = captured − fees − refunded − paid out with fees " + context)
          .isEqualTo(netCaptured - refunded - paidOut);
      LedgerAudit.assertPayoutsHold(db, merchant.merchantId());
      assertThat(((Number) expected.get("over_refunded")).longValue()).as("payments refunded beyond their amount " + context).isZero();
      assertThat(((Number) expected.get("captures_wrong")).longValue()).as("succeeded payments without exactly one capture " + context).isZero();
      assertThat(((Number) expected.get("captures_unexpected")).longValue()).as("captures on unsucceeded payments " + context).isZero();
    }
  }
}
