package org.malipo.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * Unrestricted resource consumption (OWASP API4:2023): the limits of the README's table hold on
 * every route they concern. Body size, JSON depth, metadata size and page size answer problems;
 * an oversized header section is refused by the HTTP layer with 431 before any handler runs.
 */
class RequestLimitsIntegrationTests extends IntegrationTest {

  private static final String CARD = "\"payment_method\": {\"type\": \"card\", \"number\": \"4242424242424242\","
      + " \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired Environment environment;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/v1/webhook_endpoints", "/v1/payments/pay_x/refunds"})
  void bodiesOver64KiBAre413OnEveryJsonRoute(String uri) {
    String padding = "x".repeat(65 * 1024);
    web.post().uri(uri).headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"url\": \"" + padding + "\"}")
        .exchange().expectStatus().isEqualTo(413).expectBody().jsonPath("$.code").isEqualTo("payload_too_large");
  }

  @Test
  void jsonNestedDeeperThan32IsInvalidJsonOutsidePaymentsToo() {
    String deep = "{\"events\": " + "[".repeat(40) + "]".repeat(40) + "}";
    web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON).bodyValue(deep)
        .exchange().expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("invalid_json");
  }

  static Stream<Arguments> oversizedMetadata() {
    return Stream.of(
        Arguments.of("21 pairs", pairs(21, 2, 1), "metadata"),
        Arguments.of("a 41-character key", "{\"" + "k".repeat(41) + "\": \"v\"}", "metadata"),
        Arguments.of("a 501-character value", "{\"note\": \"" + "v".repeat(501) + "\"}", "metadata.note"),
        Arguments.of("a number as value", "{\"count\": 3}", "metadata.count"),
        Arguments.of("an object as value", "{\"nested\": {\"a\": \"b\"}}", "metadata.nested"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("oversizedMetadata")
  void metadataOverItsLimitsIsRefusedAndNothingIsStored(String name, String metadata, String param) {
    pay(metadata).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo(param);
    long stored = db.sql("SELECT count(*) FROM payments WHERE merchant_id = :m").bind("m", merchant.merchantId())
        .map(row -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10));
    assertThat(stored).isZero();
  }

  @Test
  void metadataAtItsLimitsIsAccepted() {
    pay(pairs(20, 40, 500)).expectStatus().isCreated();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/v1/payments?limit=101", "/v1/payments?limit=0", "/v1/events?limit=101",
      "/v1/events?limit=-1", "/v1/webhook_endpoints/whe_x/deliveries?limit=1000"})
  void pageSizesOutside1To100Are400(String uri) {
    web.get().uri(uri).headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo("limit");
  }

  @Test
  void aPageOf100IsAllowed() {
    web.get().uri("/v1/payments?limit=100").headers(h -> h.setBearerAuth(merchant.token())).exchange()
        .expectStatus().isOk();
  }

  /**
   * Over {@code server.max-http-request-header-size} (16 KiB) Reactor Netty answers 431 itself; a
   * plain client, because that answer is the HTTP layer's, not an operation of the contract.
   */
  @Test
  void aHeaderSectionOver16KiBIs431AndOneUnderItIsServed() throws Exception {
    String port = environment.getProperty("local.server.port");
    try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      HttpResponse<Void> oversized = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/balance"))
          .header("Authorization", "Bearer " + merchant.token()).header("X-Padding", "p".repeat(17 * 1024))
          .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.discarding());
      assertThat(oversized.statusCode()).isEqualTo(431);
      HttpResponse<Void> fits = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/balance"))
          .header("Authorization", "Bearer " + merchant.token()).header("X-Padding", "p".repeat(8 * 1024))
          .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.discarding());
      assertThat(fits.statusCode()).isEqualTo(200);
    }
  }

  private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec pay(String metadata) {
    return web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 1000, \"currency\": \"KES\", \"metadata\": " + metadata + ", " + CARD + "}")
        .exchange();
  }

  /** A metadata object of {@code count} pairs with keys of {@code keyLength} and values of {@code valueLength}. */
  private static String pairs(int count, int keyLength, int valueLength) {
    return IntStream.range(0, count)
        .mapToObj(i -> "\"" + String.format("%0" + keyLength + "d", i) + "\": \"" + "v".repeat(valueLength) + "\"")
        .collect(Collectors.joining(", ", "{", "}"));
  }
}
