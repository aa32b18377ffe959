package org.malipo.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.SecondInstance;
import org.malipo.gateway.support.TestMerchants;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/clients/{id}/revoke} and the deny list (ADR 0053): a revoked client's cached,
 * validly signed tokens stop working on every instance within a bounded time, and it gets no new
 * token.
 */
class ClientRevocationIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired private DatabaseClient db;
  @Autowired private ApiClients clients;
  @Autowired private ClientRevocations revocations;
  @Autowired private ReactiveStringRedisTemplate redis;

  private String adminToken;
  private String merchantId;
  private ApiClients.Credentials credentials;

  @BeforeEach
  void merchantWithAClientAndAnOperator() {
    adminToken = TestMerchants.create(db, clients, web, "admin", "payments:read").token();
    merchantId = TestMerchants.create(db, clients, web, "payments:read").merchantId();
    credentials = clients.register(merchantId, List.of("payments:read")).block(DB);
  }

  @Test
  void revokedClientsCachedTokensAreRefusedOnEveryInstanceWithinTheRefreshInterval() {
    String token = TestMerchants.token(web, credentials.clientId(), credentials.clientSecret());
    WebTestClient second = SecondInstance.client();
    balance(web, token).expectStatus().isOk();
    balance(second, token).expectStatus().isOk(); // both instances now hold the token as verified

    revoke(credentials.clientId()).expectStatus().isOk()
        .expectBody()
        .jsonPath("$.id").isEqualTo(credentials.clientId())
        .jsonPath("$.object").isEqualTo("client")
        .jsonPath("$.merchant_id").isEqualTo(merchantId)
        .jsonPath("$.revoked").isEqualTo(true);

    // The bound of ADR 0053: one refresh interval (200 ms in tests) and a Redis round trip.
    Duration bound = revocations.refreshInterval().plusMillis(500);
    assertThat(refusedWithin(bound.multipliedBy(3), () -> balance(web, token))).as("this instance").isTrue();
    assertThat(refusedWithin(bound.multipliedBy(3), () -> balance(second, token))).as("the second instance").isTrue();
    balance(second, token).expectHeader().valueEquals("WWW-Authenticate", "Bearer error=\"invalid_token\"")
        .expectBody().jsonPath("$.code").isEqualTo("invalid_token");
  }

  @Test
  void aRefreshThatMissedTheRevocationDoesNotLiftItOnTheRevokingInstance() {
    String token = TestMerchants.token(web, credentials.clientId(), credentials.clientSecret());
    balance(web, token).expectStatus().isOk();

    revoke(credentials.clientId()).expectStatus().isOk();
    // A refresh that read Redis just before the entry landed: simulated by reading without it.
    redis.opsForZSet().remove(REDIS_PREFIX + "revoked-clients", credentials.clientId()).block(DB);
    revocations.refresh().block(DB);

    balance(web, token).expectStatus().isUnauthorized();
  }

  @Test
  void aRevokedClientGetsNoNewToken() {
    revoke(credentials.clientId()).expectStatus().isOk();

    web.post().uri("/v1/oauth/token")
        .headers(h -> h.setBasicAuth(credentials.clientId(), credentials.clientSecret()))
        .contentType(org.springframework.http.MediaType.APPLICATION_FORM_URLENCODED)
        .bodyValue("grant_type=client_credentials")
        .exchange()
        .expectStatus().isUnauthorized()
        .expectBody().jsonPath("$.code").isEqualTo("invalid_client");
  }

  @Test
  void otherClientsOfTheSameMerchantKeepWorking() {
    ApiClients.Credentials other = clients.register(merchantId, List.of("payments:read")).block(DB);
    String otherToken = TestMerchants.token(web, other.clientId(), other.clientSecret());

    revoke(credentials.clientId()).expectStatus().isOk();

    balance(web, otherToken).expectStatus().isOk();
  }

  @Test
  void revokingTwiceAnswersTheSameRevocationTime() {
    String first = revoke(credentials.clientId()).expectStatus().isOk()
        .expectBody(Map.class).returnResult().getResponseBody().get("revoked_at").toString();

    revoke(credentials.clientId()).expectStatus().isOk().expectBody().jsonPath("$.revoked_at").isEqualTo(first);
  }

  @Test
  void anUnknownClientIsNotFound() {
    revoke(Ids.next("cli")).expectStatus().isNotFound().expectBody().jsonPath("$.code").isEqualTo("not_found");
  }

  @Test
  void onlyAnOperatorMayRevoke() {
    String merchantToken = TestMerchants.token(web, credentials.clientId(), credentials.clientSecret());

    web.post().uri("/v1/clients/{id}/revoke", credentials.clientId()).headers(h -> h.setBearerAuth(merchantToken))
        .exchange()
        .expectStatus().isForbidden()
        .expectBody().jsonPath("$.code").isEqualTo("insufficient_scope");
    balance(web, merchantToken).expectStatus().isOk();
  }

  @Test
  void withRedisUnreachableTheDenyListIsReadFromPostgresql() {
    revoke(credentials.clientId()).expectStatus().isOk();
    LettuceConnectionFactory dead = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", 1),
        LettuceClientConfiguration.builder().commandTimeout(Duration.ofMillis(200)).build());
    dead.afterPropertiesSet();
    dead.start();
    try {
      ClientRevocations withoutRedis = new ClientRevocations(new ReactiveStringRedisTemplate(dead), db,
          Clock.systemUTC(), AuthProperties.defaults(null), "malipo-test-dead:", Duration.ofSeconds(1),
          new SimpleMeterRegistry());
      assertThat(withoutRedis.isRevoked(credentials.clientId())).isFalse();

      withoutRedis.refresh().block(DB);

      assertThat(withoutRedis.isRevoked(credentials.clientId())).isTrue();
      assertThat(withoutRedis.publish("cli_other", Instant.now()).then(Mono.just("ok")).onErrorReturn("failed").block(DB))
          .as("publishing without Redis fails, so the caller answers 503 and is retried").isEqualTo("failed");
    } finally {
      dead.destroy();
    }
  }

  private WebTestClient.ResponseSpec revoke(String clientId) {
    return web.post().uri("/v1/clients/{id}/revoke", clientId).headers(h -> h.setBearerAuth(adminToken)).exchange();
  }

  private static WebTestClient.ResponseSpec balance(WebTestClient client, String token) {
    return client.get().uri("/v1/balance").headers(h -> h.setBearerAuth(token)).exchange();
  }

  /** Polls until a request is refused with 401, at most {@code within}. */
  private static boolean refusedWithin(Duration within, Supplier<WebTestClient.ResponseSpec> call) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (call.get().returnResult(byte[].class).getStatus().value() == 401) {
        return true;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
    return false;
  }
}
