package org.malipo.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.SecondInstance;
import org.malipo.gateway.support.TestMerchants;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Per-merchant token buckets (ADR 0050). The test profile gives merchant
 * {@value #LIMITED} a bucket of 3 requests refilled at 0.01 a second (one per 100 s), so the 4th
 * request is refused whatever the machine's speed; every other merchant has a limit no test reaches.
 */
class RateLimitIntegrationTests extends IntegrationTest {

  static final String LIMITED = "mer_ratelimit_test";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;

  @Test
  void oneBucketPerMerchantAcrossInstancesThen429WithRetryAfterAndRateLimitFields() {
    String token = tokenOf(LIMITED);
    WebTestClient second = SecondInstance.client();

    // Three tokens, spent on two instances: they share the merchant's bucket in Redis.
    expectAllowed(web, token, "/v1/balance", 2);
    expectAllowed(second, token, "/v1/balance", 1);
    expectAllowed(web, token, "/v1/payments", 0);

    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(token))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 1000, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange()
        .expectStatus().isEqualTo(429)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectHeader().valueMatches("Retry-After", "[1-9][0-9]*")
        .expectHeader().valueEquals("RateLimit-Policy", "\"custom\";q=3;w=300")
        .expectHeader().valueMatches("RateLimit", "\"custom\";r=0;t=[1-9][0-9]*")
        .expectBody().jsonPath("$.code").isEqualTo("rate_limited");
    long payments = db.sql("SELECT count(*) FROM payments WHERE merchant_id = :m").bind("m", LIMITED)
        .map(row -> row.get(0, Long.class)).one().block(TIMEOUT);
    assertThat(payments).as("a refused payment leaves nothing").isZero();

    second.get().uri("/v1/balance").headers(h -> h.setBearerAuth(token)).exchange()
        .expectStatus().isEqualTo(429)
        .expectHeader().valueMatches("Retry-After", "[1-9][0-9]*")
        .expectBody().jsonPath("$.code").isEqualTo("rate_limited");
  }

  @Test
  void otherMerchantsKeepTheirOwnBucketAndSeeTheDefaultPolicy() {
    TestMerchants.TestMerchant other = TestMerchants.create(db, clients, web, "payments:read");
    web.get().uri("/v1/balance").headers(h -> h.setBearerAuth(other.token())).exchange()
        .expectStatus().isOk()
        .expectHeader().valueEquals("RateLimit-Policy", "\"default\";q=1000000;w=1")
        .expectHeader().valueMatches("RateLimit", "\"default\";r=999999;t=1");
  }

  @Test
  void requestsGoThroughUnlimitedAndCountedWhenRedisIsDown() throws IOException {
    String token = tokenOf("mer_ratelimit_redis_down");
    ConfigurableApplicationContext deadRedis = SecondInstance.startVariant(
        "--spring.data.redis.port=" + deadPort(),
        "--malipo.rate-limit.merchants[mer_ratelimit_redis_down].capacity=1",
        "--malipo.rate-limit.merchants[mer_ratelimit_redis_down].refill-per-second=0.01");
    WebTestClient client = SecondInstance.clientOf(deadRedis);
    double before = deadRedis.getBean(MeterRegistry.class).counter("malipo.ratelimit.degraded").count();
    for (int i = 0; i < 3; i++) { // a bucket of 1 would refuse the 2nd: the limiter is skipped
      client.get().uri("/v1/balance").headers(h -> h.setBearerAuth(token)).exchange()
          .expectStatus().isOk()
          .expectHeader().doesNotExist("RateLimit")
          .expectHeader().doesNotExist("RateLimit-Policy");
    }
    double degraded = deadRedis.getBean(MeterRegistry.class).counter("malipo.ratelimit.degraded").count();
    assertThat(degraded - before).isEqualTo(3.0);
  }

  private void expectAllowed(WebTestClient client, String token, String uri, int remaining) {
    client.get().uri(uri).headers(h -> h.setBearerAuth(token)).exchange()
        .expectStatus().isOk()
        .expectHeader().valueEquals("RateLimit-Policy", "\"custom\";q=3;w=300")
        .expectHeader().valueMatches("RateLimit", "\"custom\";r=" + remaining + ";t=[1-9][0-9]*");
  }

  /** A token of the merchant with a fixed id (the limits are configured by id), created if absent. */
  private String tokenOf(String merchantId) {
    db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Rate limited', 'KE') ON CONFLICT (id) DO NOTHING")
        .bind("id", merchantId).then().block(TIMEOUT);
    ApiClients.Credentials credentials = clients.register(merchantId, List.of("payments:read", "payments:write"))
        .block(TIMEOUT);
    return TestMerchants.token(web, credentials.clientId(), credentials.clientSecret());
  }

  /** A local port nobody listens on. */
  private static int deadPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
