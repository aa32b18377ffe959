package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.PaymentEvents;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole card flow over HTTP against real PostgreSQL, Redis and the in-process Kafka broker:
 * token → payment → read back → ledger → event on the topic, and each test card's outcome.
 */
class PaymentIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
  }

  static String cardPayment(String number, long amount) {
    return """
        {"amount": %d, "currency": "KES", "reference": "order-42", "metadata": {"cart": "c-1"},
         "payment_method": {"type": "card", "number": "%s", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""
        .formatted(amount, number);
  }

  private WebTestClient.ResponseSpec pay(String body, String key) {
    return web.post().uri("/v1/payments")
        .headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchange();
  }

  private JsonNode created(String body) {
    byte[] answer = pay(body, UUID.randomUUID().toString())
        .expectStatus().isCreated()
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
        .expectBody().returnResult().getResponseBody();
    return json.readTree(answer);
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB);
  }

  @Test
  void approvedCardSucceedsPostsOneBalancedCaptureAndPublishesTheEvent() {
    JsonNode payment = created(cardPayment("4242424242424242", 1_550));
    String id = payment.get("id").asString();

    assertThat(id).startsWith("pay_");
    assertThat(payment.get("status").asString()).isEqualTo("succeeded");
    assertThat(payment.get("amount").asLong()).isEqualTo(1_550);
    assertThat(payment.get("currency").asString()).isEqualTo("KES");
    assertThat(payment.get("fee").asLong()).isEqualTo(45); // 2.90 % of 1,550 = 44.95, half-up
    assertThat(payment.get("provider").asString()).isEqualTo("acquirer_a");
    assertThat(payment.get("payment_method").get("last4").asString()).isEqualTo("4242");
    assertThat(payment.get("payment_method").has("number")).isFalse();
    assertThat(payment.get("risk").get("decision").asString()).isEqualTo("allow");
    assertThat(payment.has("failure")).isFalse();

    web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.id").isEqualTo(id)
        .jsonPath("$.status").isEqualTo("succeeded")
        .jsonPath("$.attempts").isEqualTo(1)
        .jsonPath("$.metadata.cart").isEqualTo("c-1");

    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'capture'", id)).isEqualTo(1);
    List<Map<String, Object>> postings = db.sql("""
            SELECT p.account_id, p.direction, p.amount_minor FROM postings p
            JOIN journal_entries e ON e.id = p.entry_id WHERE e.payment_id = :id ORDER BY p.account_id""")
        .bind("id", id).fetch().all().collectList().block(DB);
    assertThat(postings).extracting(row -> row.get("account_id") + " " + row.get("direction") + " " + row.get("amount_minor"))
        .containsExactly(
            "gateway:fees:KES C 45",
            "merchant:" + merchant.merchantId() + ":pending:KES C 1505",
            "rail:acquirer_a:clearing:KES D 1550");
    assertThat(db.sql("SELECT balance_minor FROM ledger_accounts WHERE id = :id")
        .bind("id", "merchant:" + merchant.merchantId() + ":pending:KES")
        .map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1_505);

    ConsumerRecord<String, String> event = PaymentEvents.await("malipo.payments.v1", id, "payment.succeeded", Duration.ofSeconds(20))
        .orElseThrow(() -> new AssertionError("no payment.succeeded event for " + id));
    JsonNode eventJson = json.readTree(event.value());
    assertThat(eventJson.get("id").asString()).startsWith("evt_");
    assertThat(eventJson.get("merchant_id").asString()).isEqualTo(merchant.merchantId());
    assertThat(eventJson.get("data").get("amount").asLong()).isEqualTo(1_550);
    assertThat(event.value()).doesNotContain("4242424242424242");
  }

  @Test
  void declinedAndInsufficientFundsCardsFailWithTheirCodesAndPostNothing() {
    for (Map.Entry<String, String> card : Map.of(
        "4000000000000002", "card_declined",
        "4000000000009995", "insufficient_funds").entrySet()) {
      JsonNode payment = created(cardPayment(card.getKey(), 2_000));
      assertThat(payment.get("status").asString()).isEqualTo("failed");
      assertThat(payment.get("failure").get("code").asString()).isEqualTo(card.getValue());
      assertThat(payment.has("fee")).isFalse();
      assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", payment.get("id").asString())).isZero();
    }
  }

  @Test
  void acquirerErrorFailsOverToTheNextAcquirerThenFailsAsProviderUnavailable() {
    JsonNode payment = created(cardPayment("4000000000000119", 2_000));
    String id = payment.get("id").asString();
    assertThat(payment.get("status").asString()).isEqualTo("failed");
    assertThat(payment.get("failure").get("code").asString()).isEqualTo("provider_unavailable");
    assertThat(payment.get("attempts").asInt()).isEqualTo(2);
    List<String> rails = db.sql("SELECT rail || ':' || outcome FROM payment_attempts WHERE payment_id = :id ORDER BY id")
        .bind("id", id).map(row -> row.get(0, String.class)).all().collectList().block(DB);
    assertThat(rails).containsExactly("acquirer_a:not_attempted", "acquirer_b:not_attempted");
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", id)).isZero();
  }

  @Test
  void blocklistedBinIsDeclinedByRiskWithoutCallingARail() {
    JsonNode payment = created(cardPayment("4100000000000019", 2_000));
    assertThat(payment.get("status").asString()).isEqualTo("failed");
    assertThat(payment.get("failure").get("code").asString()).isEqualTo("risk_declined");
    assertThat(payment.get("risk").get("decision").asString()).isEqualTo("block");
    assertThat(payment.get("risk").get("reasons").get(0).asString()).isEqualTo("blocklisted_bin");
    assertThat(payment.get("attempts").asInt()).isZero();
  }

  @Test
  void sameKeyAndBodyReplaysTheFirstAnswerAndChargesOnce() {
    String key = UUID.randomUUID().toString();
    String body = cardPayment("4242424242424242", 3_000);
    byte[] first = pay(body, key).expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    // Same JSON with keys in another order and other white space: the same request.
    String reordered = """
        {"payment_method": {"cvc": "123", "exp_year": 2030, "exp_month": 12, "number": "4242424242424242", "type": "card"},
         "metadata": {"cart": "c-1"}, "reference": "order-42", "currency": "KES", "amount": 3000}""";
    byte[] second = pay(reordered, key).expectStatus().isCreated()
        .expectHeader().valueEquals("Idempotent-Replayed", "true")
        .expectBody().returnResult().getResponseBody();
    assertThat(second).isEqualTo(first);

    web.get().uri(u -> u.path("/v1/payments").queryParam("idempotency_key", key).build())
        .headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.data.length()").isEqualTo(1);
    String id = json.readTree(first).get("id").asString();
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", id)).isEqualTo(1);
  }

  @Test
  void sameKeyWithADifferentBodyIsRefused() {
    String key = UUID.randomUUID().toString();
    pay(cardPayment("4242424242424242", 3_000), key).expectStatus().isCreated();
    pay(cardPayment("4242424242424242", 3_001), key).expectStatus().isEqualTo(422)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.code").isEqualTo("idempotency_key_reused");
  }

  @Test
  void sameKeyWithAnotherCardIsRefusedButTheSameCardWithAnotherExpiryOrCvcReplays() {
    // The fingerprint knows the card only by its token (no expiry, no CVC: PCI DSS 3.3.1), so the
    // same card with the same amount, currency and reference is the same request.
    String key = UUID.randomUUID().toString();
    byte[] first = pay(cardPayment("4242424242424242", 3_000), key).expectStatus().isCreated()
        .expectBody().returnResult().getResponseBody();
    String otherExpiryAndCvc = cardPayment("4242424242424242", 3_000)
        .replace("\"exp_month\": 12", "\"exp_month\": 11").replace("2030", "2031").replace("\"123\"", "\"987\"");
    byte[] again = pay(otherExpiryAndCvc, key).expectStatus().isCreated()
        .expectHeader().valueEquals("Idempotent-Replayed", "true")
        .expectBody().returnResult().getResponseBody();
    assertThat(again).isEqualTo(first);
    for (String different : List.of(cardPayment("5555555555554444", 3_000), cardPayment("4242424242424242", 3_001),
        cardPayment("4242424242424242", 3_000).replace("order-42", "order-43"),
        cardPayment("4242424242424242", 3_000).replace("\"KES\"", "\"UGX\""))) {
      pay(different, key).expectStatus().isEqualTo(422)
          .expectBody().jsonPath("$.code").isEqualTo("idempotency_key_reused");
    }
  }

  @Test
  void anotherMerchantsPaymentIsNotFound() {
    String id = created(cardPayment("4242424242424242", 1_000)).get("id").asString();
    TestMerchant other = TestMerchants.create(db, clients, web, "payments:read");
    web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(other.token())).exchange()
        .expectStatus().isNotFound()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.code").isEqualTo("not_found")
        .jsonPath("$.status").isEqualTo(404)
        .jsonPath("$.request_id").exists();
    web.get().uri("/v1/payments").headers(h -> h.setBearerAuth(other.token())).exchange()
        .expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(0);
  }

  @Test
  void listsPaymentsNewestFirstWithACursor() {
    String first = created(cardPayment("4242424242424242", 1_001)).get("id").asString();
    String second = created(cardPayment("4242424242424242", 1_002)).get("id").asString();
    String third = created(cardPayment("4242424242424242", 1_003)).get("id").asString();
    web.get().uri("/v1/payments?limit=2").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.object").isEqualTo("list")
        .jsonPath("$.has_more").isEqualTo(true)
        .jsonPath("$.data[0].id").isEqualTo(third)
        .jsonPath("$.data[1].id").isEqualTo(second);
    web.get().uri("/v1/payments?limit=2&starting_after=" + second).headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.has_more").isEqualTo(false)
        .jsonPath("$.data.length()").isEqualTo(1)
        .jsonPath("$.data[0].id").isEqualTo(first);
    web.get().uri("/v1/payments?limit=500").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isBadRequest().expectBody().jsonPath("$.param").isEqualTo("limit");
  }

  @Test
  void requiresATokenAndTheWriteScope() {
    web.post().uri("/v1/payments").header("Idempotency-Key", "k").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(cardPayment("4242424242424242", 1_000)).exchange()
        .expectStatus().isUnauthorized()
        .expectHeader().valueMatches("WWW-Authenticate", "Bearer.*");
    TestMerchant reader = TestMerchants.create(db, clients, web, "payments:read");
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(reader.token())).header("Idempotency-Key", "k")
        .contentType(MediaType.APPLICATION_JSON).bodyValue(cardPayment("4242424242424242", 1_000)).exchange()
        .expectStatus().isForbidden()
        .expectBody().jsonPath("$.code").isEqualTo("insufficient_scope");
  }
}
