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
    store.claim(merchantId, "key-1", "fp-1").as(StepVerifier::create)
        .assertNext(claim -> assertThat(claim).isInstanceOf(Claim.Claimed.class)).verifyComplete();

    store.claim(merchantId, "key-1", "fp-1").as(StepVerifier::create)
        .expectErrorSatisfies(error -> {
          assertThat(((ApiProblem) error).code()).isEqualTo(ProblemCode.IDEMPOTENCY_IN_PROGRESS);
          assertThat(((ApiProblem) error).headers()).containsKey("Retry-After");
        })
        .verify(WAIT);

    store.complete(merchantId, "key-1", "pay_x", 201, "{\"id\":\"pay_x\"}").as(StepVerifier::create).verifyComplete();
    store.claim(merchantId, "key-1", "fp-1").as(StepVerifier::create)
        .assertNext(claim -> assertThat(claim).isEqualTo(new Claim.Replay(201, "{\"id\":\"pay_x\"}")))
        .verifyComplete();
  }

  @Test
  void refusesTheKeyWithADifferentRequestAndScopesKeysByMerchant() {
    store.claim(merchantId, "key-2", "fp-a").block(WAIT);
    store.claim(merchantId, "key-2", "fp-b").as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(((ApiProblem) error).code()).isEqualTo(ProblemCode.IDEMPOTENCY_KEY_REUSED))
        .verify(WAIT);

    String other = Ids.next("mer");
    db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Other', 'KE')").bind("id", other).then().block(WAIT);
    store.claim(other, "key-2", "fp-b").as(StepVerifier::create)
        .assertNext(claim -> assertThat(claim).isInstanceOf(Claim.Claimed.class)).verifyComplete();
  }
}
