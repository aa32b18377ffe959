package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.SecondInstance;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The global in-flight ceiling (issue #5, item 2): a gateway whose ceiling is 0 sheds every new
 * payment with {@code 503 overloaded} and {@code Retry-After}, before authentication and the rate
 * limiter (so before any I/O), and writes nothing. Reads are never shed. Every spelling of the
 * path that the router sends to the create-payment handler counts (issue #18, item 9).
 */
class OverloadIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String CARD_PAYMENT = """
      {"amount": 1000, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
       "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired ConfigurableApplicationContext gateway;

  @Test
  void aPaymentAboveTheInFlightCeilingIsShedWith503OverloadedAndRetryAfterAndNothingIsWritten() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    ConfigurableApplicationContext full = SecondInstance.startVariant("--malipo.payments.max-in-flight=0");
    WebTestClient client = SecondInstance.clientOf(full);
    double shedBefore = full.getBean(MeterRegistry.class).counter("malipo.payments.shed").count();
    String key = UUID.randomUUID().toString();

    client.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(CARD_PAYMENT)
        .exchange()
        .expectStatus().isEqualTo(503)
        .expectHeader().valueEquals("Retry-After", "1")
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectHeader().exists("X-Request-Id")
        .expectHeader().valueEquals("X-Content-Type-Options", "nosniff")
        .expectBody().jsonPath("$.code").isEqualTo("overloaded");
    // No token at all: still 503, not 401, so the answer came before the bearer filter and the
    // rate limiter's Redis look-up.
    client.post().uri("/v1/payments").header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON).bodyValue(CARD_PAYMENT)
        .exchange()
        .expectStatus().isEqualTo(503)
        .expectBody().jsonPath("$.code").isEqualTo("overloaded");
    // Reads are not payments in flight.
    client.get().uri("/v1/payments?limit=1").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk();

    assertThat(full.getBean(MeterRegistry.class).counter("malipo.payments.shed").count() - shedBefore)
        .isEqualTo(2.0);
    long payments = db.sql("SELECT count(*) FROM payments WHERE merchant_id = :m").bind("m", merchant.merchantId())
        .map(row -> row.get(0, Long.class)).one().block(WAIT);
    long claims = db.sql("SELECT count(*) FROM idempotency_keys WHERE merchant_id = :m")
        .bind("m", merchant.merchantId()).map(row -> row.get(0, Long.class)).one().block(WAIT);
    assertThat(payments).as("payments of a shed request").isZero();
    assertThat(claims).as("idempotency claims of a shed request").isZero();
  }

  /**
   * Spellings of a path: the router decodes each segment and drops its {@code ;} parameters, so
   * several reach {@code POST /v1/payments}; the ceiling must count exactly those.
   */
  private static final List<String> SPELLINGS = List.of("/v1/payments", "/v1/payment%73", "/v1/payments;x=1",
      "/v1/%70ayments", "/v1;v=2/payments", "/v1/payments/", "/v1//payments", "/V1/payments", "/v1/payments%2F",
      "/v1/payments%3Bx=1", "/v1/payments/x");

  @Test
  void theCeilingCountsEverySpellingOfThePathThatTheRouterSendsToCreatePayment() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    ConfigurableApplicationContext full = SecondInstance.startVariant("--malipo.payments.max-in-flight=0");
    MeterRegistry meters = full.getBean(MeterRegistry.class);
    // The two spellings reach the create-payment handler today.
    assertThat(reachesCreatePayment(gateway, merchant, "/v1/payment%73")).isTrue();
    assertThat(reachesCreatePayment(gateway, merchant, "/v1/payments;x=1")).isTrue();

    int routed = 0;
    for (String path : SPELLINGS) {
      boolean payment = reachesCreatePayment(gateway, merchant, path);
      routed += payment ? 1 : 0;
      double shedBefore = meters.counter("malipo.payments.shed").count();
      int status = post(full, merchant, path, "{}").returnResult(String.class).getStatus().value();
      assertThat(status).as("%s at a full gateway (routed to create: %s)", path, payment)
          .isEqualTo(payment ? 503 : statusAt(gateway, merchant, path));
      assertThat(meters.counter("malipo.payments.shed").count() - shedBefore).as(path).isEqualTo(payment ? 1.0 : 0.0);
    }
    // The first five (percent-encoded letters, ';' parameters on either segment); no trailing
    // slash, empty segment, other case, or encoded '/' or ';' (those are 404s and 405s).
    assertThat(routed).isEqualTo(5);
    long payments = db.sql("SELECT count(*) FROM payments WHERE merchant_id = :m").bind("m", merchant.merchantId())
        .map(row -> row.get(0, Long.class)).one().block(WAIT);
    assertThat(payments).isZero();
  }

  /** Whether the router sends {@code POST path} to the create-payment handler: its validator answers {@code {}}. */
  private static boolean reachesCreatePayment(ConfigurableApplicationContext gateway, TestMerchant merchant, String path) {
    byte[] body = post(gateway, merchant, path, "{}").returnResult(byte[].class).getResponseBodyContent();
    String answer = body == null ? "" : new String(body, StandardCharsets.UTF_8);
    return answer.contains("\"code\":\"parameter_missing\"") && answer.contains("\"param\":\"amount\"");
  }

  private static int statusAt(ConfigurableApplicationContext gateway, TestMerchant merchant, String path) {
    return post(gateway, merchant, path, "{}").returnResult(String.class).getStatus().value();
  }

  /** {@code POST} to the raw {@code path}, sent as written (no client-side encoding). */
  private static WebTestClient.ResponseSpec post(ConfigurableApplicationContext gateway, TestMerchant merchant, String path,
      String body) {
    URI uri = URI.create("http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port") + path);
    return SecondInstance.clientOf(gateway).post().uri(uri).headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange();
  }
}
