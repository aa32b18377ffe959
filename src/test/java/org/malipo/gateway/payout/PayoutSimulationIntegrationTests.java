package org.malipo.gateway.payout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
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
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A seed-replayable simulation of payouts (issue 21, INVARIANTS.md 19-20): from a seed, a batch of
 * M-Pesa payouts to the sandbox's three test numbers, each hit by one fault — none, the client
 * hanging up mid-call, the rail's answer lost after it received the payout, the process dying
 * between the reservation and the send, the result delivered twice, a late result after the
 * status query settled it — all in flight together. Afterwards: every payout final with the status
 * its number and fault call for, each sent to the rail exactly once (never, for a payout that died
 * before its send), one final event each, the ledger audited, and the merchant's available balance
 * equal to what was funded minus what was paid out with its fees.
 *
 * <p>{@code -Dpayouts.simulation.seed=S} replays one seed; {@code -Dpayouts.simulation.seeds=N}
 * runs N seeds (default 3 fixed ones).
 */
class PayoutSimulationIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final Duration SETTLED = Duration.ofSeconds(45);
  private static final List<String> NUMBERS = List.of("+254708374149", "+254700000011", "+254700000012");

  /** What happens to one payout. */
  enum Fault { NONE, CLIENT_HANGS_UP, ANSWER_LOST, DIES_BEFORE_SEND, RESULT_TWICE, LATE_RESULT }

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired SettlementJob settlement;
  @Autowired SandboxServer sandbox;
  @Autowired PayoutRails payoutRails;
  @Autowired PayoutRepository payouts;
  @Autowired Ledger ledger;

  static LongStream seeds() {
    String one = System.getProperty("payouts.simulation.seed");
    if (one != null) {
      return LongStream.of(Long.parseLong(one));
    }
    int count = Integer.getInteger("payouts.simulation.seeds", 3);
    return LongStream.range(0, count).map(i -> 0x5EED_0000L + i * 7919);
  }

  /** One payout of the batch and what the seed did to it. */
  private record Planned(String id, String msisdn, long amountMinor, Fault fault) {}

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyPayoutEndsOnceAndTheMoneyAddsUp(long seed) {
    Random random = new Random(seed);
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "payouts:write",
        "payouts:read");
    fund(merchant, 5_000_000);
    long funded = available(merchant);
    List<Planned> batch = new ArrayList<>();
    int size = 6 + random.nextInt(5);
    for (int i = 0; i < size; i++) {
      String msisdn = NUMBERS.get(random.nextInt(NUMBERS.size()));
      long amount = (10 + random.nextInt(491)) * 100L;
      Fault fault = Fault.values()[random.nextInt(Fault.values().length)];
      batch.add(new Planned(start(merchant, msisdn, amount, fault), msisdn, amount, fault));
    }
    for (Planned planned : batch) {
      JsonNode payout = awaitFinal(merchant, planned.id());
      String context = "seed " + seed + ", " + planned;
      String expected = planned.fault() == Fault.DIES_BEFORE_SEND || planned.msisdn().equals("+254700000011")
          ? "failed" : "succeeded";
      assertThat(payout.get("status").asString()).as(context).isEqualTo(expected);
      if (expected.equals("failed")) {
        if (planned.fault() == Fault.DIES_BEFORE_SEND) {
          assertThat(payout.get("failure").get("code").asString()).as(context).isEqualTo("provider_unavailable");
        } else {
          // The B2C result names the reason; a Transaction Status that got there first (a slow
          // answer) reports "Failed" without one.
          assertThat(payout.get("failure").get("code").asString()).as(context)
              .isIn("recipient_invalid", "provider_declined");
        }
      }
      assertThat(sandbox.payoutRequestsReceived(planned.id())).as("requests M-Pesa received, " + context)
          .isEqualTo(planned.fault() == Fault.DIES_BEFORE_SEND ? 0 : 1);
      if (planned.fault() == Fault.RESULT_TWICE || planned.fault() == Fault.LATE_RESULT) {
        deliverResultAgain(planned, payout);
      }
      assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id AND type IN ('payout.succeeded',"
          + " 'payout.failed')", planned.id())).as("one final event, " + context).isEqualTo(1);
    }
    long paidOut = batch.stream().mapToLong(planned -> {
      JsonNode payout = awaitFinal(merchant, planned.id());
      return "succeeded".equals(payout.get("status").asString())
          ? payout.get("amount").asLong() + payout.get("fee").asLong() : 0;
    }).sum();
    assertThat(available(merchant)).as("seed %d: funded − paid out with fees", seed).isEqualTo(funded - paidOut);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  /** Starts one payout the way its fault says; returns its id. */
  private String start(TestMerchant merchant, String msisdn, long amount, Fault fault) {
    return switch (fault) {
      case NONE, RESULT_TWICE, LATE_RESULT -> created(post(merchant, msisdn, amount, UUID.randomUUID().toString(),
          Duration.ofSeconds(30)));
      case CLIENT_HANGS_UP -> {
        String key = UUID.randomUUID().toString();
        sandbox.faults().set("mpesa_b2c", new SandboxFaults.Fault(Duration.ofSeconds(1), false));
        try {
          post(merchant, msisdn, amount, key, Duration.ofMillis(200));
        } catch (RuntimeException | AssertionError hungUp) {
          // the client gave up mid-call; the payout runs on
        } finally {
          sandbox.faults().set("mpesa_b2c", new SandboxFaults.Fault(Duration.ZERO, false));
        }
        // The same key later: 409 while the first request runs, then the payout as it stands, never a second one.
        long deadline = System.nanoTime() + SETTLED.toNanos();
        while (true) {
          var answer = post(merchant, msisdn, amount, key, Duration.ofSeconds(30)).expectBody(JsonNode.class).returnResult();
          if (answer.getStatus().value() == 201) {
            yield answer.getResponseBody().get("id").asString();
          }
          assertThat(answer.getStatus().value()).as("a retry while the first runs").isEqualTo(409);
          assertThat(System.nanoTime()).isLessThan(deadline);
          sleep(100);
        }
      }
      case ANSWER_LOST -> {
        Payout payout = reserve(merchant, msisdn, amount);
        payoutRails.byName("mpesa").orElseThrow()
            .send(new PayoutRequest(payout.id(), payout.amount(), payout.msisdn(), null)).block(DB);
        yield payout.id();
      }
      case DIES_BEFORE_SEND -> reserve(merchant, msisdn, amount).id();
    };
  }

  /** A copy of the rail's result posted after the payout is final: a duplicate, changing nothing. */
  private void deliverResultAgain(Planned planned, JsonNode payout) {
    boolean paid = "succeeded".equals(payout.get("status").asString());
    String result = paid ? """
        {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"ok","OriginatorConversationID":"%s",
         "ConversationID":"AG_again","TransactionID":"AGAIN","ResultParameters":{"ResultParameter":[
         {"Key":"TransactionAmount","Value":%d}]}}}""".formatted(planned.id(), planned.amountMinor() / 100)
        : """
        {"Result":{"ResultType":0,"ResultCode":2040,"ResultDesc":"not registered","OriginatorConversationID":"%s"}}"""
        .formatted(planned.id());
    web.post().uri("/v1/callbacks/mpesa/local-mpesa-callback-token/b2c/result?ref=" + planned.id())
        .contentType(MediaType.APPLICATION_JSON).bodyValue(result).exchange().expectStatus().isOk();
    assertThat(db.sql("SELECT verdict FROM inbox WHERE reference_hint = :id ORDER BY id DESC LIMIT 1")
        .bind("id", planned.id()).map(row -> row.get(0, String.class)).one().block(DB))
        .as("a result for a final payout, " + planned).isEqualTo("duplicate");
  }

  /** What the first transaction of a payout leaves when nothing after it ran. */
  private Payout reserve(TestMerchant merchant, String msisdn, long amountMinor) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Money amount = new Money(amountMinor, CurrencyUnit.KES);
    Payout payout = new Payout(Ids.next("po"), merchant.merchantId(), UUID.randomUUID().toString(), Payout.PENDING,
        amount, amount.basisPoints(100), "mpesa", "mpesa", msisdn, null, null, null, Map.of(), false, null, null, null,
        null, now, now);
    payouts.insert(payout).then(ledger.postPayoutReserve(payout.id(), payout.merchantId(), payout.total())).block(DB);
    return payout;
  }

  private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec post(TestMerchant merchant,
      String msisdn, long amount, String key, Duration timeout) {
    return web.mutate().responseTimeout(timeout).build().post().uri("/v1/payouts")
        .headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", key)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "KES", "destination": {"type": "mobile_money", "operator": "mpesa",
             "msisdn": "%s"}}""".formatted(amount, msisdn))
        .exchange();
  }

  private static String created(org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec spec) {
    return spec.expectStatus().isCreated().expectBody(JsonNode.class).returnResult().getResponseBody().get("id").asString();
  }

  private void fund(TestMerchant merchant, long amountMinor) {
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(amountMinor))
        .exchange().expectStatus().isCreated();
    settlement.settleDue(Duration.ZERO, merchant.merchantId()).block(DB);
  }

  private long available(TestMerchant merchant) {
    JsonNode balance = web.get().uri("/v1/balance").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
    return balance.get("currencies").get(0).get("available").asLong();
  }

  private JsonNode awaitFinal(TestMerchant merchant, String id) {
    long deadline = System.nanoTime() + SETTLED.toNanos();
    while (true) {
      JsonNode payout = web.get().uri("/v1/payouts/" + id).headers(h -> h.setBearerAuth(merchant.token())).exchange()
          .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
      if (!"pending".equals(payout.get("status").asString())) {
        return payout;
      }
      assertThat(System.nanoTime()).as("payout %s final within %s", id, SETTLED).isLessThan(deadline);
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB);
  }
}
