package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.TestMerchants;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The process dies between sealing a challenged card in Redis (docs/adr/0083-three-d-secure.md,
 * AES-GCM, at most the authentication timeout) and the statement that moves the payment to
 * {@code requires_action} (issue 20). The payment is left {@code processing} without an attempt:
 * the reconciler fails it as never sent, nothing is charged, and the orphaned sealed card is
 * never shown, never authorized and is deleted when the payment fails (its TTL bounds it anyway).
 */
class ThreeDSecureSealedCardCrashIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration FINAL = Duration.ofSeconds(30);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired IdempotencyStore idempotency;
  @Autowired PaymentRepository payments;
  @Autowired OutboxWriter outbox;
  @Autowired CardTokens cards;
  @Autowired ThreeDSecure threeDSecure;
  @Autowired ReactiveStringRedisTemplate redis;
  @Value("${malipo.redis.key-prefix:malipo:}") String prefix;

  @Test
  void aCrashBetweenSealingTheCardAndRequiresActionFailsUnchargedAndTheSealedCardIsNeverUsed() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Payment claimed = new Payment(Ids.next("pay"), merchant.merchantId(), UUID.randomUUID().toString(),
        PaymentStatus.PROCESSING, new Money(5_000, CurrencyUnit.KES), new Money(0, CurrencyUnit.KES), "order-3ds-crash",
        null, Map.of(), new MaskedCard("visa", "400000", "3220", "fp-3ds-crash"), null, null, null, null, 0, now, now);
    PaymentRows.claim(db, idempotency, payments, outbox, claimed);
    String id = claimed.id();
    String sealedKey = prefix + "3ds:{" + id + "}:card";
    // The pipeline sealed the card; the instance died before the requires_action statement.
    cards.holdForAuthentication(id, new CardData(ThreeDSecureIntegrationTests.CHALLENGED, 12, 2030, "123"),
        Duration.ofMinutes(10)).block(WAIT);
    Long ttl = redis.getExpire(sealedKey).map(Duration::toSeconds).block(WAIT);
    assertThat(ttl).as("the sealed card's TTL, s").isPositive().isLessThanOrEqualTo(600);

    // No authentication is in progress: the access control server's page does not show the card.
    web.get().uri(ThreeDSecure.challengeUrl(id)).exchange().expectStatus().isNotFound();
    assertThat(threeDSecure.cardUnderAuthentication(id).blockOptional(WAIT)).isEmpty();
    // A validly signed result for it (a customer on a page opened before) starts nothing.
    web.get().uri(u -> u.path(ThreeDSecure.callbackPath()).queryParam("result", threeDSecure.signResult(id, true)).build())
        .exchange().expectStatus().isSeeOther();
    assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id", id)).isZero();

    // The reconciler's first check comes due: the payment fails as never sent.
    db.sql("UPDATE payments SET updated_at = updated_at - interval '10 seconds' WHERE id = :id").bind("id", id)
        .then().block(WAIT);
    JsonNode payment = awaitFinal(merchant, id);
    assertThat(payment.get("status").asString()).isEqualTo("failed");
    assertThat(payment.get("failure").get("code").asString()).isEqualTo("provider_unavailable");
    assertThat(payment.get("attempts").asInt()).isZero();
    assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id", id)).as("never sent").isZero();
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id", id)).as("nothing charged").isZero();
    assertThat(db.sql("SELECT response_body FROM idempotency_keys WHERE merchant_id = :m AND idempotency_key = :k")
        .bind("m", merchant.merchantId()).bind("k", claimed.idempotencyKey()).map(row -> row.get(0, String.class))
        .one().block(WAIT)).contains("\"status\":\"failed\"");

    // The orphaned sealed card is deleted with the failure, and a late result still changes nothing.
    awaitGone(sealedKey);
    web.get().uri(u -> u.path(ThreeDSecure.callbackPath()).queryParam("result", threeDSecure.signResult(id, true)).build())
        .exchange().expectStatus().isSeeOther();
    assertThat(payments.findById(id).block(WAIT).status()).isEqualTo(PaymentStatus.FAILED);
    assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id", id)).isZero();
    LedgerAudit.assertHolds(db, merchant.merchantId());
    LedgerAudit.assertAuthorizationHolds(db, merchant.merchantId());
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("id", id).map(row -> row.get(0, Long.class)).one().block(WAIT);
  }

  private JsonNode awaitFinal(TestMerchants.TestMerchant merchant, String id) {
    long deadline = System.nanoTime() + FINAL.toNanos();
    while (true) {
      JsonNode payment = json.readTree(web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token()))
          .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
      String status = payment.get("status").asString();
      if (!status.equals("processing") || System.nanoTime() > deadline) {
        return payment;
      }
      pause();
    }
  }

  private void awaitGone(String key) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (Boolean.TRUE.equals(redis.hasKey(key).block(WAIT)) && System.nanoTime() < deadline) {
      pause();
    }
    assertThat(redis.hasKey(key).block(WAIT)).as("the orphaned sealed card is still in Redis").isFalse();
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
