package org.malipo.gateway.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.idempotency.IdempotencyStore.Claim;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.test.StepVerifier;

/** The idempotency stage against real PostgreSQL: claim, in progress, replay, reuse. */
class IdempotencyStoreIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Autowired IdempotencyStore store;
  @Autowired DatabaseClient db;

  private String merchantId;

  @BeforeEach
  void merchant() {
    merchantId = Ids.next("mer");
    db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Idempotency test', 'KE')").bind("id", merchantId)
        .then().block(WAIT);
  }

  @Test
  void claimsOnceThenAnswersInProgressThenReplaysTheStoredAnswer() {
    store.claim(merchantId, "key-1", "fp-1", null).as(StepVerifier::create)
        .assertNext(claim -> assertThat(claim).isInstanceOf(Claim.Claimed.class)).verifyComplete();

    store.claim(merchantId, "key-1", "fp-1", null).as(StepVerifier::create)
        .expectErrorSatisfies(error -> {
          assertThat(((ApiProblem) error).code()).isEqualTo(ProblemCode.IDEMPOTENCY_IN_PROGRESS);
          assertThat(((ApiProblem) error).headers()).containsKey("Retry-After");
        })
        .verify(WAIT);

    store.complete(merchantId, "key-1", "pay_x", 201, "{\"id\":\"pay_x\"}").as(StepVerifier::create).verifyComplete();
    store.claim(merchantId, "key-1", "fp-1", null).as(StepVerifier::create)
        .assertNext(claim -> assertThat(claim).isEqualTo(new Claim.Replay(201, "{\"id\":\"pay_x\"}")))
        .verifyComplete();
  }

  @Test
  void refusesTheKeyWithADifferentRequestAndScopesKeysByMerchant() {
    store.claim(merchantId, "key-2", "fp-a", null).block(WAIT);
    store.claim(merchantId, "key-2", "fp-b", null).as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(((ApiProblem) error).code()).isEqualTo(ProblemCode.IDEMPOTENCY_KEY_REUSED))
        .verify(WAIT);

    String other = Ids.next("mer");
    db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Other', 'KE')").bind("id", other).then().block(WAIT);
    store.claim(other, "key-2", "fp-b", null).as(StepVerifier::create)
        .assertNext(claim -> assertThat(claim).isInstanceOf(Claim.Claimed.class)).verifyComplete();
  }

  @Test
  void neverReclaimsAnExpiredKeyWhosePaymentIsNotFinal() {
    for (String status : new String[] {"processing", "pending"}) {
      String payment = Ids.next("pay");
      String key = "old-" + status;
      store.claim(merchantId, key, "fp-1", payment).block(WAIT);
      insertPayment(payment, key, status);
      if (status.equals("pending")) {
        store.complete(merchantId, key, payment, 201, "{\"status\":\"pending\"}").block(WAIT);
      }
      expire(key);

      // Older than its retention, but its payment may still charge: the same request gets the
      // payment (in progress, or the stored answer), a new request a 422; neither a new payment.
      if (status.equals("processing")) {
        store.claim(merchantId, key, "fp-1", Ids.next("pay")).as(StepVerifier::create)
            .expectErrorSatisfies(error -> {
              ApiProblem problem = (ApiProblem) error;
              assertThat(problem.code()).isEqualTo(ProblemCode.IDEMPOTENCY_IN_PROGRESS);
              assertThat(problem.extensions()).containsEntry("payment_id", payment);
            })
            .verify(WAIT);
      } else {
        store.claim(merchantId, key, "fp-1", Ids.next("pay")).as(StepVerifier::create)
            .assertNext(claim -> assertThat(claim).isInstanceOf(Claim.Replay.class)).verifyComplete();
      }
    }
  }

  @Test
  void reclaimsAnExpiredKeyOnceItsPaymentIsFinal() {
    String payment = Ids.next("pay");
    store.claim(merchantId, "old-final", "fp-1", payment).block(WAIT);
    insertPayment(payment, "old-final", "succeeded");
    store.complete(merchantId, "old-final", payment, 201, "{}").block(WAIT);
    expire("old-final");

    store.claim(merchantId, "old-final", "fp-2", Ids.next("pay")).as(StepVerifier::create)
        .assertNext(claim -> assertThat(claim).isInstanceOf(Claim.Claimed.class)).verifyComplete();
  }

  private void insertPayment(String id, String key, String status) {
    db.sql("""
            INSERT INTO payments (id, merchant_id, idempotency_key, status, amount_minor, currency, method_type)
            VALUES (:id, :merchant, :key, :status, 1500, 'KES', 'card')""")
        .bind("id", id).bind("merchant", merchantId).bind("key", key).bind("status", status).then().block(WAIT);
  }

  private void expire(String key) {
    db.sql("UPDATE idempotency_keys SET expires_at = now() - interval '1 hour' WHERE merchant_id = :m AND idempotency_key = :k")
        .bind("m", merchantId).bind("k", key).then().block(WAIT);
  }
}
