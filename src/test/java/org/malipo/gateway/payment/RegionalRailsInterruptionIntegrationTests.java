package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.MobileMoneyPayer;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRegistry;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.sandbox.SandboxFaults;
import org.malipo.gateway.sandbox.SandboxServer;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.TestMerchants;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.JsonNode;

/**
 * Issue 22's rails under the interruptions of ADR 0065: a client that hangs up, an instance that
 * dies during the rail call (the answer, and with it the rail's reference, lost), a push whose
 * answer was lost. Each payment reaches a final status, charged at most once, never re-sent.
 */
class RegionalRailsInterruptionIntegrationTests extends IntegrationTest {

  private static final Duration FINAL = Duration.ofSeconds(30);
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired IdempotencyStore idempotency;
  @Autowired PaymentRepository payments;
  @Autowired OutboxWriter outbox;
  @Autowired RailRegistry rails;
  @Autowired SandboxServer sandbox;
  @LocalServerPort int port;

  @AfterEach
  void clearFaults() {
    sandbox.faults().clear();
  }

  @Test
  void anAirtelPaymentWhoseClientHungUpRunsToItsFinalStatusAndItsKeyReturnsIt() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    String key = UUID.randomUUID().toString();
    String body = """
        {"amount": 15000, "currency": "KES", "payment_method": {"type": "mobile_money", "operator": "airtel",
         "msisdn": "+254733000000"}}""";
    // Airtel answers the push after 1.5 s; the client gives up after 300 ms and closes its connection.
    sandbox.faults().set("airtel", new SandboxFaults.Fault(Duration.ofMillis(1_500), false));
    WebClient impatient = WebClient.builder().baseUrl("http://127.0.0.1:" + port)
        .clientConnector(new ReactorClientHttpConnector(HttpClient.create().responseTimeout(Duration.ofMillis(300))))
        .build();
    assertThatThrownBy(() -> impatient.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .retrieve().bodyToMono(String.class).block(WAIT)).isNotNull();

    JsonNode payment = awaitFinalByKey(merchant, key);
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    assertThat(payment.get("provider").asString()).isEqualTo("airtel");
    assertThat(payment.get("attempts").asInt()).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'capture'",
        payment.get("id").asString())).isEqualTo(1);
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", key)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange().expectStatus().isCreated()
        .expectHeader().valueEquals("Idempotent-Replayed", "true")
        // The key holds the first answer it completed with (the push accepted: pending), never a second payment.
        .expectBody().jsonPath("$.id").isEqualTo(payment.get("id").asString());
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void anAirtelPushWhoseAnswerWasLostIsSettledByItsCallback() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    Payment started = PaymentRows.startAttempt(payments,
        claimed(merchant.merchantId(), null, new MobileWallet("airtel", "+254733000000")), "airtel");
    String attemptId = PaymentPipeline.attemptId(started.id(), 1);
    // The push reached Airtel, but the instance died before it recorded the answer: the attempt
    // knows no transaction id; Airtel's callback carries it, with our attempt id inside.
    RailOutcome pushed = rails.byName("airtel").orElseThrow().authorize(new RailRequest(started.id(), attemptId,
        started.merchantId(), started.amount(), new MobileMoneyPayer(MobileMoneyOperator.AIRTEL, "+254733000000"), null))
        .block(WAIT);
    assertThat(pushed).isInstanceOf(RailOutcome.Pending.class);

    JsonNode payment = awaitFinalById(merchant, started.id());
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    assertThat(count("SELECT count(*) FROM inbox WHERE payment_id = :id AND verdict = 'applied'", started.id())).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id AND outcome = 'approved'"
        + " AND rail_reference = '" + ((RailOutcome.Pending) pushed).railReference() + "'", started.id())).isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aPaystackChargeWhoseInstanceDiedDuringTheCallIsSettledByVerifyAndNeverResent() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    Payment claimed = claimed(merchant.merchantId(), new MaskedCard("visa", "408408", "4081", "fp-paystack"), null);
    Payment started = PaymentRows.startAttempt(payments, claimed, "paystack");
    String attemptId = PaymentPipeline.attemptId(started.id(), 1);
    RailOutcome charged = rails.byName("paystack").orElseThrow().authorize(new RailRequest(started.id(), attemptId,
        started.merchantId(), started.amount(), new CardData("4084084084084081", 12, 2030, "408"), null)).block(WAIT);
    assertThat(charged).isInstanceOf(RailOutcome.Approved.class);
    ageBy(started.id(), Duration.ofSeconds(10));

    JsonNode payment = awaitFinalById(merchant, started.id());
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    assertThat(payment.get("attempts").asInt()).as("never re-sent, never failed over").isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'capture'", started.id()))
        .isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  private Payment claimed(String merchantId, MaskedCard card, MobileWallet wallet) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    CurrencyUnit currency = wallet != null ? CurrencyUnit.KES : CurrencyUnit.NGN;
    Payment payment = new Payment(Ids.next("pay"), merchantId, UUID.randomUUID().toString(), PaymentStatus.PROCESSING,
        new Money(15_000, currency), new Money(0, currency), "order-crash", null, Map.of(),
        card, wallet, null, null, null, 0, now, now);
    PaymentRows.claim(db, idempotency, payments, outbox, payment);
    return payment;
  }

  private void ageBy(String paymentId, Duration age) {
    db.sql("UPDATE payments SET updated_at = updated_at - CAST(:ms AS bigint) * interval '1 millisecond' WHERE id = :id")
        .bind("ms", age.toMillis()).bind("id", paymentId).then().block(WAIT);
  }

  private JsonNode awaitFinalByKey(TestMerchants.TestMerchant merchant, String key) {
    long deadline = System.nanoTime() + FINAL.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode page = web.get().uri(u -> u.path("/v1/payments").queryParam("idempotency_key", key).build())
          .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk()
          .expectBody(JsonNode.class).returnResult().getResponseBody();
      if (!page.get("data").isEmpty() && isFinal(page.get("data").get(0))) {
        return page.get("data").get(0);
      }
      pause();
    }
    throw new AssertionError("no final payment for key " + key + " within " + FINAL);
  }

  private JsonNode awaitFinalById(TestMerchants.TestMerchant merchant, String id) {
    long deadline = System.nanoTime() + FINAL.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode payment = web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token())).exchange()
          .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
      if (isFinal(payment)) {
        return payment;
      }
      pause();
    }
    throw new AssertionError("payment " + id + " not final within " + FINAL);
  }

  private static boolean isFinal(JsonNode payment) {
    String status = payment.get("status").asString();
    return status.equals("succeeded") || status.equals("failed");
  }

  private static void pause() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("id", id).map(row -> row.get(0, Long.class)).one().block(WAIT);
  }
}
