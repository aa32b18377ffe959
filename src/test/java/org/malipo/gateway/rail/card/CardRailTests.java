package org.malipo.gateway.rail.card;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.netty.handler.timeout.ReadTimeoutException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.rail.ForwardingRail;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailException;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import org.malipo.gateway.rail.ResilientRail;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The card acquirer adapter against a WireMock acquirer (no Spring context): the outbound wire
 * format, the mapping of every kind of answer, and the resilience decoration around it.
 */
class CardRailTests {

  private static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(5);
  private static final String RAIL = "acquirer_a";
  private static final String PATH = "/" + RAIL + "/v1/authorizations";
  private static final String REFUND_PATH = "/" + RAIL + "/v1/refunds";
  private static final String API_KEY = "wiremock-acquirer-key";
  private static final String SUCCESS_CARD = "4242424242424242";

  private final JsonMapper json = JsonMapper.builder().build();
  private WireMockServer acquirer;
  private CardRails cardRails;

  @BeforeEach
  void startAcquirer() {
    acquirer = WireMockAcquirer.start();
  }

  @AfterEach
  void stop() {
    if (cardRails != null) {
      cardRails.close();
    }
    acquirer.stop();
  }

  // --- the adapter alone ----------------------------------------------------------------------

  @Test
  void approvesAndSendsMinorUnitsNumericCurrencyAndTheAttemptIdAsIdempotencyKey() {
    answer(okJson("""
        {"authorization_id":"auth_1","response_code":"00","approval_code":"A1B2C3","stan":"000123","rrn":"512345000123"}
        """));
    RailRequest request = request(new Money(150_000, CurrencyUnit.KES), SUCCESS_CARD);

    adapter(Map.of()).authorize(request)
        .as(StepVerifier::create)
        .expectNext(new RailOutcome.Approved(RAIL, "auth_1", "00"))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);

    LoggedRequest sent = onlyRequest();
    assertThat(sent.getHeader("Idempotency-Key")).isEqualTo(request.attemptId());
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
    assertThat(sent.getHeader("Content-Type")).startsWith("application/json");
    JsonNode body = json.readTree(sent.getBodyAsString());
    assertThat(body.get("amount").isIntegralNumber()).as("amount is an integer").isTrue();
    assertThat(body.get("amount").asLong()).isEqualTo(150_000L);
    assertThat(body.get("currency").isString()).as("currency is a string").isTrue();
    assertThat(body.get("currency").asString()).isEqualTo("404");
    assertThat(body.get("merchant_reference").asString()).isEqualTo(request.attemptId());
    assertThat(body.get("card").get("number").asString()).isEqualTo(SUCCESS_CARD);
    assertThat(body.get("card").get("exp_month").asInt()).isEqualTo(12);
    assertThat(body.get("card").get("exp_year").asInt()).isEqualTo(2030);
    assertThat(body.get("card").get("cvc").asString()).isEqualTo("123");
    assertThat(body.propertyNames()).containsExactlyInAnyOrder("merchant_reference", "amount", "currency", "card");
  }

  @Test
  void sendsZeroDecimalCurrencyAmountsUnscaled() {
    answer(okJson("""
        {"authorization_id":"auth_2","response_code":"00","approval_code":"Z9Y8X7"}
        """));

    adapter(Map.of()).authorize(request(new Money(5_000, CurrencyUnit.UGX), SUCCESS_CARD))
        .as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Approved.class::isInstance)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);

    JsonNode body = json.readTree(onlyRequest().getBodyAsString());
    assertThat(body.get("amount").asLong()).isEqualTo(5_000L);
    assertThat(body.get("currency").asString()).isEqualTo("800");
  }

  @Test
  void padsNumericCurrencyCodesToThreeDigits() {
    assertThat(AuthorizationRequestBody.numericCurrency(8)).isEqualTo("008");
    assertThat(AuthorizationRequestBody.numericCurrency(36)).isEqualTo("036");
    assertThat(AuthorizationRequestBody.numericCurrency(404)).isEqualTo("404");
  }

  @Test
  void declinesWithCardDeclinedWhenAcquirerDoesNotHonour() {
    answer(okJson("""
        {"authorization_id":"auth_3","response_code":"05","stan":"000124","rrn":"512345000124"}
        """));

    adapter(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Declined.class, declined -> {
          assertThat(declined.failureCode()).isEqualTo("card_declined");
          assertThat(declined.responseCode()).isEqualTo("05");
          assertThat(declined.railReference()).isEqualTo("auth_3");
          assertThat(declined.message()).isNotBlank();
        }))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void declinesWithInsufficientFundsWhenAcquirerReports51() {
    answer(okJson("""
        {"authorization_id":"auth_4","response_code":"51"}
        """));

    adapter(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Declined.class,
            declined -> assertThat(declined.failureCode()).isEqualTo("insufficient_funds")))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void declinesWithExpiredCardWhenAcquirerReports54() {
    answer(okJson("""
        {"authorization_id":"auth_5","response_code":"54"}
        """));

    adapter(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Declined.class,
            declined -> assertThat(declined.failureCode()).isEqualTo("expired_card")))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void reportsNotChargedWhenAcquirerAnswers500() {
    answer(aResponse().withStatus(500).withHeader("Content-Type", "application/json")
        .withBody("""
            {"error":"system_malfunction","response_code":"96"}
            """));

    adapter(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(RailException.class, e -> {
          assertThat(e.surelyNotCharged()).isTrue();
          assertThat(e.getMessage()).contains("500").contains("system_malfunction");
        }))
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void reportsNotChargedWhenAcquirerReportsSystemMalfunctionIn200() {
    answer(okJson("""
        {"response_code":"96"}
        """));

    adapter(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(RailException.class,
            e -> assertThat(e.surelyNotCharged()).isTrue()))
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void reportsNotChargedWhenAcquirerRefusesOurKey() {
    answer(aResponse().withStatus(401).withHeader("Content-Type", "application/json")
        .withBody("""
            {"error":"invalid_api_key"}
            """));

    adapter(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(RailException.class,
            e -> assertThat(e.surelyNotCharged()).isTrue()))
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void unknownWhenApprovalBodyIsMalformed() {
    answer(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
        .withBody("{\"authorization_id\":\"auth_6\",\"response_code\":"));

    adapter(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void unknownWhenAcquirerAnswersAPartialApproval() {
    answer(okJson("""
        {"authorization_id":"auth_7","response_code":"10","approval_code":"P4RT1A"}
        """));

    adapter(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Unknown.class,
            unknown -> assertThat(unknown.reason()).contains("10")))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void unknownWhenAGatewayTimesOutInFrontOfTheAcquirer() {
    answer(aResponse().withStatus(504));

    adapter(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void reportsNotChargedWhenTheConnectionIsRefused() throws IOException {
    int unusedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      unusedPort = socket.getLocalPort();
    }

    adapter(Map.of("base-url", "http://127.0.0.1:" + unusedPort + "/" + RAIL)).authorize(kesRequest())
        .as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(RailException.class,
            e -> assertThat(e.surelyNotCharged()).isTrue()))
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void refusesACurrencyTheAcquirerDoesNotSettleWithoutCallingIt() {
    adapter(Map.of("currencies", "KES")).authorize(request(new Money(100, CurrencyUnit.USD), SUCCESS_CARD))
        .as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(RailException.class,
            e -> assertThat(e.surelyNotCharged()).isTrue()))
        .verify(VERIFY_TIMEOUT);
    assertThat(acquirer.getAllServeEvents()).isEmpty();
  }

  // --- through ResilientRail ------------------------------------------------------------------

  @Test
  void unknownWhenTheAnswerComesAfterTheTimeout() {
    answer(okJson("""
        {"authorization_id":"auth_8","response_code":"00","approval_code":"A1B2C3"}
        """).withFixedDelay(2_000));
    RailAdapter rail = resilient(Map.of("timeout", "300ms"));

    rail.authorize(kesRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Unknown.class,
            unknown -> assertThat(unknown.reason()).startsWith("timeout").contains("300 ms")))
        .expectComplete()
        .verifyThenAssertThat(VERIFY_TIMEOUT)
        .tookLessThan(Duration.ofMillis(1_500));
  }

  @Test
  void unknownWithTheTimeoutReasonWhenTheHttpClientTimesOutFirst() {
    RailAdapter real = adapter(Map.of("timeout", "300ms"));
    // What WebClient signals when Reactor Netty's response timeout fires before the time limiter.
    RailAdapter timingOut = new ForwardingRail(real) {
      @Override
      public Mono<RailOutcome> authorize(RailRequest request) {
        return Mono.error(new WebClientRequestException(ReadTimeoutException.INSTANCE, HttpMethod.POST,
            URI.create(acquirer.baseUrl()), new HttpHeaders()));
      }
    };

    ResilientRail.of(timingOut, cardRails.limits(RAIL)).authorize(kesRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Unknown.class,
            unknown -> assertThat(unknown.reason()).isEqualTo("timeout: no answer within 300 ms")))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void opensTheCircuitAfterA5xxStormAndStopsCallingTheAcquirer() {
    answer(aResponse().withStatus(500));
    ResilientRail rail = resilient(Map.of(
        "circuit-breaker.sliding-window-size", "4",
        "circuit-breaker.minimum-number-of-calls", "4",
        "circuit-breaker.failure-rate-threshold", "50"));

    Flux.range(0, 4)
        .concatMap(i -> rail.authorize(kesRequest()))
        .as(StepVerifier::create)
        .expectNextCount(4)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    assertThat(rail.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);

    Flux.range(0, 3)
        .concatMap(i -> rail.authorize(kesRequest()))
        .as(StepVerifier::create)
        .expectNext(
            new RailOutcome.NotAttempted(RAIL, "circuit_open", true),
            new RailOutcome.NotAttempted(RAIL, "circuit_open", true),
            new RailOutcome.NotAttempted(RAIL, "circuit_open", true))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    acquirer.verify(4, postRequestedFor(urlEqualTo(PATH)));
  }

  @Test
  void notAttemptedWhenTheAcquirerAnswersItsDocumentedUnavailableBody() {
    // What the sandbox's fault switch answers (docs/rails/sandbox-acquirer.md): safe to fail over.
    answer(aResponse().withStatus(503).withHeader("Content-Type", "application/json")
        .withBody("{\"error\":\"service_unavailable\",\"response_code\":\"91\"}"));

    resilient(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.NotAttempted.class,
            notAttempted -> {
              assertThat(notAttempted.reason()).contains("503").contains("service_unavailable");
              assertThat(notAttempted.shed()).as("the acquirer refused, not the gateway").isFalse();
            }))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void unknownWhenAProxyAnswers502WithAnHtmlPageAfterForwarding() {
    answer(aResponse().withStatus(502).withHeader("Content-Type", "text/html")
        .withBody("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"));

    resilient(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Unknown.class,
            unknown -> assertThat(unknown.reason()).isEqualTo("HTTP 502")))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  /** Error answers without the acquirer's documented "not processed" body prove nothing. */
  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "502 | ''",
      "503 | ''",
      "503 | <html>Service Unavailable</html>",
      "500 | ''",
      "500 | {\"error\":\"system_malfunction\",",
      "500 | {\"error\":\"internal_error\",\"response_code\":\"96\"}",
      "503 | {\"error\":\"system_malfunction\",\"response_code\":\"96\"}",
      "502 | {\"error\":\"service_unavailable\",\"response_code\":\"91\"}",
      "404 | Not Found",
      "403 | {\"error\":\"forbidden\"}",
      "429 | ''"})
  void unknownWhenAnErrorAnswerIsNotTheDocumentedNotProcessedBody(int status, String body) {
    answer(aResponse().withStatus(status).withBody(body));

    adapter(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Unknown.class,
            unknown -> assertThat(unknown.reason()).startsWith("HTTP " + status)))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  /** Each of the acquirer's documented "not processed" errors (docs/rails/sandbox-acquirer.md). */
  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "400 | {\"error\":\"format_error\",\"response_code\":\"30\"}",
      "400 | {\"error\":\"invalid_amount\",\"response_code\":\"13\"}",
      "400 | {\"error\":\"idempotency_key_missing\",\"response_code\":\"30\"}",
      "401 | {\"error\":\"invalid_api_key\"}",
      "401 | ''",
      "413 | {\"error\":\"request_too_large\",\"response_code\":\"30\"}",
      "500 | {\"error\":\"system_malfunction\",\"response_code\":\"96\"}",
      "503 | {\"error\":\"service_unavailable\",\"response_code\":\"91\"}"})
  void notChargedWhenTheAcquirerAnswersADocumentedNotProcessedError(int status, String body) {
    answer(aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body));

    adapter(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(RailException.class, e -> {
          assertThat(e.surelyNotCharged()).isTrue();
          assertThat(e.getMessage()).contains("HTTP " + status);
        }))
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void signalsMayHaveChargedWhenTheConnectionIsLostAfterTheRequestWasSent() {
    RailAdapter adapter = adapter(Map.of());
    for (Fault fault : List.of(Fault.CONNECTION_RESET_BY_PEER, Fault.EMPTY_RESPONSE)) {
      acquirer.resetAll();
      answer(aResponse().withFault(fault));
      adapter.authorize(kesRequest())
          .as(StepVerifier::create)
          .as(fault.name())
          .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(RailException.class, e -> {
            assertThat(e.surelyNotCharged()).isFalse();
            assertThat(e.getMessage()).contains("sent, but no answer was read");
          }))
          .verify(VERIFY_TIMEOUT);
      acquirer.verify(1, postRequestedFor(urlEqualTo(PATH)));
    }
  }

  @Test
  void declinesDoNotOpenTheCircuit() {
    answer(okJson("""
        {"authorization_id":"auth_9","response_code":"05"}
        """));
    ResilientRail rail = resilient(Map.of(
        "circuit-breaker.sliding-window-size", "4",
        "circuit-breaker.minimum-number-of-calls", "4"));

    Flux.range(0, 6)
        .concatMap(i -> rail.authorize(kesRequest()))
        .as(StepVerifier::create)
        .thenConsumeWhile(RailOutcome.Declined.class::isInstance)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    assertThat(rail.circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);
    acquirer.verify(6, postRequestedFor(urlEqualTo(PATH)));
  }

  @Test
  void shedsTheSecondConcurrentCallWhenTheBulkheadIsFull() {
    answer(okJson("""
        {"authorization_id":"auth_10","response_code":"00","approval_code":"A1B2C3"}
        """).withFixedDelay(500));
    RailAdapter rail = resilient(Map.of("max-concurrent-calls", "1", "timeout", "3s"));

    // zip subscribes to the first call, which takes the only permit, before the second.
    Mono.zip(rail.authorize(kesRequest()), rail.authorize(kesRequest()))
        .as(StepVerifier::create)
        .assertNext(both -> {
          assertThat(both.getT1()).isInstanceOf(RailOutcome.Approved.class);
          assertThat(both.getT2()).isInstanceOfSatisfying(RailOutcome.NotAttempted.class,
              shed -> {
                assertThat(shed.reason()).startsWith("bulkhead_full");
                assertThat(shed.shed()).as("refused by the gateway, not the rail").isTrue();
              });
        })
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    acquirer.verify(1, postRequestedFor(urlEqualTo(PATH)));
  }

  @Test
  void shedsCallsOverTheRateWithoutWaiting() {
    answer(okJson("""
        {"authorization_id":"auth_11","response_code":"00","approval_code":"A1B2C3"}
        """));
    RailAdapter rail = resilient(Map.of("rate-per-second", "1"));

    // Three calls started within a millisecond share at most two one-second windows.
    Flux.merge(rail.authorize(kesRequest()), rail.authorize(kesRequest()), rail.authorize(kesRequest()))
        .collectList()
        .as(StepVerifier::create)
        .assertNext(outcomes -> {
          List<RailOutcome> shed = outcomes.stream().filter(RailOutcome.NotAttempted.class::isInstance).toList();
          assertThat(shed).isNotEmpty()
              .allSatisfy(o -> {
                assertThat(((RailOutcome.NotAttempted) o).reason()).startsWith("rate_limited");
                assertThat(((RailOutcome.NotAttempted) o).shed()).isTrue();
              });
          assertThat(outcomes).hasSize(3);
        })
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void turnsAConnectionRefusalIntoNotAttempted() throws IOException {
    int unusedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      unusedPort = socket.getLocalPort();
    }

    resilient(Map.of("base-url", "http://127.0.0.1:" + unusedPort + "/" + RAIL)).authorize(kesRequest())
        .as(StepVerifier::create)
        .expectNextMatches(RailOutcome.NotAttempted.class::isInstance)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  // --- more faults: random delays, resets, slow bodies, recovery -----------------------------

  @Test
  void randomDelaysWithinTheTimeoutStillApprove() {
    answer(okJson("""
        {"authorization_id":"auth_12","response_code":"00","approval_code":"A1B2C3"}
        """).withUniformRandomDelay(20, 200));
    RailAdapter rail = resilient(Map.of("timeout", "2s"));

    Flux.range(0, 5)
        .concatMap(i -> rail.authorize(kesRequest()))
        .as(StepVerifier::create)
        .thenConsumeWhile(RailOutcome.Approved.class::isInstance)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    acquirer.verify(5, postRequestedFor(urlEqualTo(PATH)));
  }

  @Test
  void randomDelaysPastTheTimeoutAreUnknownNeverNotAttempted() {
    answer(okJson("""
        {"authorization_id":"auth_13","response_code":"00","approval_code":"A1B2C3"}
        """).withUniformRandomDelay(1_000, 1_500));
    RailAdapter rail = resilient(Map.of("timeout", "300ms"));

    Flux.range(0, 3)
        .flatMap(i -> rail.authorize(kesRequest()))
        .as(StepVerifier::create)
        .thenConsumeWhile(RailOutcome.Unknown.class::isInstance)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void unknownWhenTheConnectionIsResetAfterTheRequestWasSent() {
    answer(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));

    resilient(Map.of()).authorize(kesRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Unknown.class,
            unknown -> assertThat(unknown.reason()).startsWith(RAIL + ": authorization sent, but no answer was read")))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    acquirer.verify(1, postRequestedFor(urlEqualTo(PATH)));
  }

  @Test
  void unknownWhenTheAcquirerClosesWithoutAnswerOrSendsGarbage() {
    RailAdapter rail = resilient(Map.of());
    for (Fault fault : List.of(Fault.EMPTY_RESPONSE, Fault.RANDOM_DATA_THEN_CLOSE, Fault.MALFORMED_RESPONSE_CHUNK)) {
      acquirer.resetAll();
      answer(aResponse().withFault(fault));
      rail.authorize(kesRequest())
          .as(StepVerifier::create)
          .expectNextMatches(outcome -> outcome instanceof RailOutcome.Unknown)
          .as(fault.name())
          .expectComplete()
          .verify(VERIFY_TIMEOUT);
    }
  }

  @Test
  void unknownWhenTheBodyDribblesInPastTheTimeout() {
    answer(okJson("""
        {"authorization_id":"auth_14","response_code":"00","approval_code":"A1B2C3"}
        """).withChunkedDribbleDelay(5, 1_500));

    resilient(Map.of("timeout", "400ms")).authorize(kesRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Unknown.class,
            unknown -> assertThat(unknown.reason()).startsWith("timeout")))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void readsABodyThatDribblesInWithinTheTimeout() {
    answer(okJson("""
        {"authorization_id":"auth_15","response_code":"00","approval_code":"A1B2C3"}
        """).withChunkedDribbleDelay(6, 300));

    resilient(Map.of("timeout", "3s")).authorize(kesRequest())
        .as(StepVerifier::create)
        .expectNext(new RailOutcome.Approved(RAIL, "auth_15", "00"))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void closesTheCircuitAgainWhenTheHalfOpenProbeSucceeds() {
    answer(aResponse().withStatus(503));
    ResilientRail rail = resilient(Map.of(
        "circuit-breaker.sliding-window-size", "4",
        "circuit-breaker.minimum-number-of-calls", "4",
        "circuit-breaker.failure-rate-threshold", "50",
        "circuit-breaker.wait-in-open", "300ms",
        "circuit-breaker.permitted-calls-in-half-open", "1"));
    Flux.range(0, 4).concatMap(i -> rail.authorize(kesRequest())).blockLast(VERIFY_TIMEOUT);
    assertThat(rail.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);

    acquirer.resetAll();
    answer(okJson("""
        {"authorization_id":"auth_16","response_code":"00","approval_code":"A1B2C3"}
        """));
    Mono.delay(Duration.ofMillis(400)).then(rail.authorize(kesRequest()))
        .as(StepVerifier::create)
        .expectNext(new RailOutcome.Approved(RAIL, "auth_16", "00"))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    assertThat(rail.circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);
    acquirer.verify(1, postRequestedFor(urlEqualTo(PATH)));
  }

  // --- the status query (docs/adr/0042-unknown-card-attempts.md) -----------------------------

  @Test
  void resolvesALostApprovalByStatusQueryWithoutAuthorizingAgain() {
    answer(okJson("""
        {"authorization_id":"auth_17","response_code":"00","approval_code":"A1B2C3"}
        """).withFixedDelay(1_500));
    RailRequest request = kesRequest();
    acquirer.stubFor(get(urlEqualTo(lookupPath(request.attemptId())))
        .withHeader("Authorization", equalTo("Bearer " + API_KEY))
        .willReturn(okJson("""
            {"authorization_id":"auth_17","response_code":"00","approval_code":"A1B2C3"}
            """)));
    RailAdapter rail = resilient(Map.of("timeout", "300ms"));

    rail.authorize(request)
        .as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    rail.queryStatus(request.attemptId())
        .as(StepVerifier::create)
        .expectNext(new RailOutcome.Approved(RAIL, "auth_17", "00"))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    acquirer.verify(1, postRequestedFor(urlEqualTo(PATH)));
    acquirer.verify(1, getRequestedFor(urlEqualTo(lookupPath(request.attemptId()))));
  }

  @Test
  void statusQueryReportsADeclineAsDeclined() {
    acquirer.stubFor(get(urlEqualTo(lookupPath("att_d"))).willReturn(okJson("""
        {"authorization_id":"auth_18","response_code":"51"}
        """)));

    resilient(Map.of()).queryStatus("att_d")
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Declined.class,
            declined -> assertThat(declined.failureCode()).isEqualTo("insufficient_funds")))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void statusQueryReportsNotChargedWhenTheAcquirerNeverProcessedTheAttempt() {
    acquirer.stubFor(get(urlEqualTo(lookupPath("att_n"))).willReturn(aResponse().withStatus(404)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"error\":\"unknown_idempotency_key\",\"response_code\":\"25\"}")));

    resilient(Map.of()).queryStatus("att_n")
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.NotAttempted.class,
            notAttempted -> assertThat(notAttempted.reason()).contains("unknown_idempotency_key")))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void statusQueryStaysUnknownWhenTheAcquirerFailsIsSlowOrAnswersAForeign404() {
    acquirer.stubFor(get(urlEqualTo(lookupPath("att_500"))).willReturn(aResponse().withStatus(500)));
    acquirer.stubFor(get(urlEqualTo(lookupPath("att_slow"))).willReturn(okJson("""
        {"authorization_id":"auth_19","response_code":"00"}
        """).withFixedDelay(1_500)));
    acquirer.stubFor(get(urlEqualTo(lookupPath("att_bad"))).willReturn(okJson("{not json")));
    acquirer.stubFor(get(urlEqualTo(lookupPath("att_404"))).willReturn(aResponse().withStatus(404).withBody("Not Found")));
    RailAdapter rail = resilient(Map.of("timeout", "300ms"));

    rail.queryStatus("att_500").concatWith(rail.queryStatus("att_slow")).concatWith(rail.queryStatus("att_bad"))
        .concatWith(rail.queryStatus("att_404"))
        .as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance)
        .as("a 404 that is not the acquirer's own never-processed answer proves nothing")
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void statusQueryStaysUnknownOnTheFaultSwitchsDocumentedNotProcessedAnswer() {
    // "Not processed" says this look-up was not served, not that the authorization never was.
    acquirer.stubFor(get(urlEqualTo(lookupPath("att_f"))).willReturn(aResponse().withStatus(503)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"error\":\"service_unavailable\",\"response_code\":\"91\"}")));

    resilient(Map.of()).queryStatus("att_f")
        .as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  private static String lookupPath(String attemptId) {
    return PATH + "/by-idempotency-key/" + attemptId;
  }

  // --- refunds --------------------------------------------------------------------------------

  @Test
  void refundsWithTheRefundIdAsIdempotencyKey() {
    answerRefund(okJson("""
        {"refund_id":"rfd_1","response_code":"00"}
        """));

    adapter(Map.of()).refund(refundRequest())
        .as(StepVerifier::create)
        .expectNext(new RefundOutcome.Refunded(RAIL, "rfd_1"))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    LoggedRequest sent = acquirer.findAll(postRequestedFor(urlEqualTo(REFUND_PATH))).getFirst();
    assertThat(sent.getHeader("Idempotency-Key")).isEqualTo("ref_1");
    JsonNode body = json.readTree(sent.getBodyAsString());
    assertThat(body.get("amount").asLong()).isEqualTo(50_000L);
    assertThat(body.get("currency").asString()).isEqualTo("404");
    assertThat(body.get("authorization_id").asString()).isEqualTo("auth_1");
  }

  /** Refund errors the acquirer documents as "not processed": nothing moved, the refund may fail. */
  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "404 | {\"error\":\"unknown_authorization\",\"response_code\":\"12\"}",
      "400 | {\"error\":\"invalid_amount\",\"response_code\":\"13\"}",
      "401 | {\"error\":\"invalid_api_key\"}",
      "503 | {\"error\":\"service_unavailable\",\"response_code\":\"91\"}"})
  void refundNotAttemptedOnADocumentedNotProcessedError(int status, String body) {
    answerRefund(aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body));

    adapter(Map.of()).refund(refundRequest())
        .as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RefundOutcome.NotAttempted.class,
            notAttempted -> assertThat(notAttempted.reason()).startsWith("HTTP " + status)))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  /** Anything else may have moved money: the refund stays pending until reconciled. */
  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "502 | <html>Bad Gateway</html>",
      "503 | ''",
      "500 | ''",
      "404 | Not Found",
      "409 | {\"error\":\"idempotency_key_reused\"}",
      "200 | ''",
      "200 | {}",
      "200 | {\"refund_id\":\"rfd_2\",\"response_code\":"})
  void refundUnknownWhenTheAnswerIsNotADocumentedOne(int status, String body) {
    answerRefund(aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body));

    adapter(Map.of()).refund(refundRequest())
        .as(StepVerifier::create)
        .expectNextMatches(RefundOutcome.Unknown.class::isInstance)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void refundUnknownWhenTheConnectionIsLostAfterSending() {
    ResilientRail rail = resilient(Map.of());
    for (Fault fault : List.of(Fault.CONNECTION_RESET_BY_PEER, Fault.EMPTY_RESPONSE)) {
      acquirer.resetAll();
      answerRefund(aResponse().withFault(fault));
      rail.refund(refundRequest())
          .as(StepVerifier::create)
          .as(fault.name())
          .expectNextMatches(RefundOutcome.Unknown.class::isInstance)
          .expectComplete()
          .verify(VERIFY_TIMEOUT);
      acquirer.verify(1, postRequestedFor(urlEqualTo(REFUND_PATH)));
    }
  }

  @Test
  void refundNotAttemptedWhenTheConnectionIsRefused() throws IOException {
    int unusedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      unusedPort = socket.getLocalPort();
    }

    resilient(Map.of("base-url", "http://127.0.0.1:" + unusedPort + "/" + RAIL)).refund(refundRequest())
        .as(StepVerifier::create)
        .expectNextMatches(RefundOutcome.NotAttempted.class::isInstance)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  // --- fixtures -------------------------------------------------------------------------------

  private void answerRefund(ResponseDefinitionBuilder response) {
    acquirer.stubFor(post(urlEqualTo(REFUND_PATH)).withHeader("Authorization", equalTo("Bearer " + API_KEY))
        .willReturn(response));
  }

  private static RefundRequest refundRequest() {
    return new RefundRequest("ref_1", "pay_1", "auth_1", new Money(50_000, CurrencyUnit.KES));
  }

  private void answer(ResponseDefinitionBuilder response) {
    acquirer.stubFor(post(urlEqualTo(PATH)).withHeader("Authorization", equalTo("Bearer " + API_KEY))
        .willReturn(response));
  }

  private LoggedRequest onlyRequest() {
    List<LoggedRequest> requests = acquirer.findAll(postRequestedFor(urlEqualTo(PATH)));
    assertThat(requests).hasSize(1);
    return requests.getFirst();
  }

  /** The undecorated adapter, configured as {@code malipo.rails.card.acquirers.acquirer_a.*}. */
  private RailAdapter adapter(Map<String, String> settings) {
    cardRails = CardRails.create(bind(settings), null);
    return cardRails.adapters().getFirst();
  }

  private ResilientRail resilient(Map<String, String> settings) {
    RailAdapter adapter = adapter(settings);
    return ResilientRail.of(adapter, cardRails.limits(RAIL));
  }

  private CardRailProperties bind(Map<String, String> settings) {
    return WireMockAcquirer.properties(acquirer, RAIL, API_KEY, settings);
  }

  private static RailRequest kesRequest() {
    return request(new Money(150_000, CurrencyUnit.KES), SUCCESS_CARD);
  }

  private static RailRequest request(Money amount, String pan) {
    return new RailRequest(Ids.next("pay"), Ids.next("att"), "mer_test", amount, new CardData(pan, 12, 2030, "123"),
        "order-1");
  }
}
