package org.malipo.gateway.rail.mpesa;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.MobileMoneyPayer;
import org.malipo.gateway.rail.RailException;
import org.malipo.gateway.rail.RailLimits;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.ResilientRail;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The Daraja adapter against a WireMock Daraja: wire format, answers, faults, token refresh. */
class MpesaRailTests {

  private static final Duration VERIFY = Duration.ofSeconds(10);
  private static final String ACCEPTED = """
      {"MerchantRequestID":"m-1","CheckoutRequestID":"ws_CO_1","ResponseCode":"0",
       "ResponseDescription":"Success. Request accepted for processing","CustomerMessage":"ok"}""";

  private WireMockServer daraja;
  private MpesaRail rail;

  @BeforeEach
  void start() {
    daraja = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    daraja.start();
    daraja.stubFor(get(urlPathEqualTo("/oauth/v1/generate"))
        .willReturn(okJson("{\"access_token\":\"tok-1\",\"expires_in\":\"3599\"}")));
    rail = new MpesaRail(WebClient.create(daraja.baseUrl()), "key", "secret", "174379", "passkey",
        (operator, ref) -> "http://127.0.0.1:1/v1/callbacks/mpesa/t", Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    daraja.stop();
  }

  private static RailRequest request(long amountMinor) {
    return new RailRequest("pay_1", "att_1_1", "mer_1", new Money(amountMinor, CurrencyUnit.KES),
        new MobileMoneyPayer(MobileMoneyOperator.MPESA, "+254708374149"), "order-42");
  }

  @Test
  void acceptedPushIsPendingAndSendsDarajaFormat() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(okJson(ACCEPTED)));

    rail.authorize(request(15_000)).as(StepVerifier::create)
        .expectNext(new RailOutcome.Pending("mpesa", "ws_CO_1")).verifyComplete();

    var sent = daraja.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
        urlPathEqualTo(MpesaRail.STK_PUSH_PATH))).getFirst();
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer tok-1");
    JsonNode body = JsonMapper.builder().build().readTree(sent.getBodyAsString());
    assertThat(body.get("Amount").asLong()).isEqualTo(150);
    assertThat(body.get("PartyA").asString()).isEqualTo("254708374149");
    assertThat(body.get("BusinessShortCode").asString()).isEqualTo("174379");
    String timestamp = body.get("Timestamp").asString();
    assertThat(body.get("Password").asString()).isEqualTo(Base64.getEncoder()
        .encodeToString(("174379passkey" + timestamp).getBytes(StandardCharsets.UTF_8)));
    assertThat(body.get("CallBackURL").asString()).endsWith("/v1/callbacks/mpesa/t");
  }

  @Test
  void rejectedPushIsSurelyNotCharged() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(aResponse().withStatus(400)
        .withBody("{\"errorCode\":\"400.002.02\",\"errorMessage\":\"Bad Request - Invalid PhoneNumber\"}")));

    rail.authorize(request(15_000)).as(StepVerifier::create)
        .verifyErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue());
  }

  @Test
  void serverErrorBecomesNotAttemptedThroughTheDecorator() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(aResponse().withStatus(500)
        .withBody("{\"errorCode\":\"500.003.02\",\"errorMessage\":\"System is busy\"}")));

    ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(request(15_000)).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.NotAttempted.class::isInstance).verifyComplete();
  }

  /** Daraja's documented refusals of a push (rails.md §1.3): no prompt was sent, failing is safe. */
  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "400 | {\"errorCode\":\"400.002.02\",\"errorMessage\":\"Bad Request - Invalid Amount\"}",
      "404 | {\"errorCode\":\"404.001.01\",\"errorMessage\":\"Resource not found\"}",
      "405 | {\"errorCode\":\"405.001\",\"errorMessage\":\"Method Not Allowed\"}",
      "500 | {\"errorCode\":\"500.001.1001\",\"errorMessage\":\"Merchant does not exist\"}",
      "500 | {\"errorCode\":\"500.001.1001\",\"errorMessage\":\"Wrong credentials\"}",
      "500 | {\"errorCode\":\"500.001.1001\",\"errorMessage\":\"Unable to lock subscriber, a transaction is already in process for the current subscriber\"}",
      "500 | {\"errorCode\":\"500.003.02\",\"errorMessage\":\"Spike Arrest Violation\"}",
      "500 | {\"errorCode\":\"500.003.03\",\"errorMessage\":\"Quota Violation\"}",
      "401 | ''"})
  void documentedRefusalsOfThePushAreSurelyNotCharged(int status, String body) {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(aResponse().withStatus(status)
        .withHeader("Content-Type", "application/json").withBody(body)));

    rail.authorize(request(15_000)).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(RailException.class, refused -> {
          assertThat(refused.surelyNotCharged()).isTrue();
          assertThat(refused.getMessage()).contains("HTTP " + status);
        }))
        .verify(VERIFY);
  }

  /** Any other error answer may come after the prompt went out: unknown, never failed over. */
  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "502 | <html><body><h1>502 Bad Gateway</h1></body></html>",
      "503 | ''",
      "500 | ''",
      "500 | {\"errorCode\":\"500.003.1001\",\"errorMessage\":\"Internal Server Error\"}",
      "500 | {\"errorCode\":\"500.001.1001\",\"errorMessage\":\"The transaction is being processed\"}",
      "500 | {\"errorCode\":\"500.001.1001\"}",
      "503 | {\"errorCode\":\"400.002.02\",\"errorMessage\":\"Bad Request - Invalid Amount\"}",
      "400 | <html>Bad Request</html>",
      "403 | ''",
      "429 | ''"})
  void otherErrorAnswersToThePushAreUnknown(int status, String body) {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(aResponse().withStatus(status)
        .withBody(body)));

    ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(request(15_000)).as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Unknown.class,
            unknown -> assertThat(unknown.reason()).startsWith("HTTP " + status)))
        .expectComplete()
        .verify(VERIFY);
  }

  @Test
  void aTokenRefusedAgainAfterTheRefreshIsSurelyNotCharged() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(aResponse().withStatus(404)
        .withBody("{\"errorCode\":\"404.001.03\",\"errorMessage\":\"Invalid Access Token\"}")));

    rail.authorize(request(15_000)).as(StepVerifier::create)
        .verifyErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue());
    daraja.verify(2, postRequestedFor(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)));
  }

  @Test
  void slowAnswerBecomesUnknown() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(okJson(ACCEPTED).withFixedDelay(1_500)));

    ResilientRail.of(rail, limits(Duration.ofMillis(300))).authorize(request(15_000)).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void expiredTokenIsRefreshedOnceAndTheCallRetried() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).inScenario("token")
        .whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(404).withBody("{\"errorCode\":\"404.001.03\",\"errorMessage\":\"Invalid Access Token\"}"))
        .willSetStateTo("refreshed"));
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).inScenario("token")
        .whenScenarioStateIs("refreshed").willReturn(okJson(ACCEPTED)));

    rail.authorize(request(15_000)).as(StepVerifier::create)
        .expectNext(new RailOutcome.Pending("mpesa", "ws_CO_1")).expectComplete().verify(VERIFY);
    daraja.verify(2, getRequestedFor(urlPathEqualTo("/oauth/v1/generate")));
  }

  @Test
  void stkQueryMapsBeingProcessedAndResultCodes() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_QUERY_PATH)).willReturn(aResponse().withStatus(500)
        .withBody("{\"errorCode\":\"500.001.1001\",\"errorMessage\":\"The transaction is being processed\"}")));
    rail.queryStatus("ws_CO_1").as(StepVerifier::create)
        .expectNext(new RailOutcome.Pending("mpesa", "ws_CO_1")).verifyComplete();

    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_QUERY_PATH)).willReturn(okJson(
        "{\"ResponseCode\":\"0\",\"CheckoutRequestID\":\"ws_CO_1\",\"ResultCode\":\"1032\",\"ResultDesc\":\"Request cancelled by user\"}")));
    rail.queryStatus("ws_CO_1").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("customer_cancelled"))
        .verifyComplete();
  }

  @Test
  void readsCallbackMetadataByName() {
    byte[] body = """
        {"Body":{"stkCallback":{"MerchantRequestID":"1","CheckoutRequestID":"ws_CO_9","ResultCode":0,"ResultDesc":"ok",
         "CallbackMetadata":{"Item":[{"Name":"PhoneNumber","Value":254708374149},{"Name":"Balance"},
         {"Name":"Amount","Value":150.00},{"Name":"MpesaReceiptNumber","Value":"SE12ABC3DE"}]}}}}"""
        .getBytes(StandardCharsets.UTF_8);
    var callback = rail.readCallback(body, null);
    assertThat(callback.railReference()).isEqualTo("ws_CO_9");
    assertThat(callback.amount()).isEqualTo(new Money(15_000, CurrencyUnit.KES));
    assertThat(callback.payerMsisdn()).isEqualTo("+254708374149");
    assertThat(callback.outcome()).isInstanceOf(RailOutcome.Approved.class);
  }

  // --- fault injection (issue 5): delays, storms, resets, slow and malformed bodies ----------

  @Test
  void randomDelaysWithinTheTimeoutStillPend() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(okJson(ACCEPTED).withUniformRandomDelay(20, 200)));
    ResilientRail resilient = ResilientRail.of(rail, limits(Duration.ofSeconds(2)));

    Flux.range(0, 4).concatMap(i -> resilient.authorize(request(15_000))).as(StepVerifier::create)
        .thenConsumeWhile(RailOutcome.Pending.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void randomDelaysPastTheTimeoutAreUnknownNeverNotAttempted() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(okJson(ACCEPTED).withUniformRandomDelay(900, 1_400)));
    ResilientRail resilient = ResilientRail.of(rail, limits(Duration.ofMillis(300)));

    Flux.range(0, 3).flatMap(i -> resilient.authorize(request(15_000))).as(StepVerifier::create)
        .thenConsumeWhile(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void a5xxStormOpensTheCircuitAndAHalfOpenProbeClosesIt() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(aResponse().withStatus(500)
        .withBody("{\"errorCode\":\"500.003.02\",\"errorMessage\":\"System is busy\"}")));
    ResilientRail resilient = ResilientRail.of(rail, stormLimits());
    Flux.range(0, 4).concatMap(i -> resilient.authorize(request(15_000))).as(StepVerifier::create)
        .thenConsumeWhile(RailOutcome.NotAttempted.class::isInstance).expectComplete().verify(VERIFY);
    assertThat(resilient.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
    resilient.authorize(request(15_000)).as(StepVerifier::create)
        .expectNext(new RailOutcome.NotAttempted("mpesa", "circuit_open", true)).expectComplete().verify(VERIFY);
    daraja.verify(4, postRequestedFor(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)));

    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(okJson(ACCEPTED)));
    Mono.delay(Duration.ofMillis(1_700)).then(resilient.authorize(request(15_000))).as(StepVerifier::create)
        .expectNext(new RailOutcome.Pending("mpesa", "ws_CO_1")).expectComplete().verify(VERIFY);
    assertThat(resilient.circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void aConnectionResetAfterThePushWasSentIsUnknown() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

    ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(request(15_000)).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void aConnectionLostAfterThePushWasSentMayHaveCharged() {
    for (Fault fault : List.of(Fault.CONNECTION_RESET_BY_PEER, Fault.EMPTY_RESPONSE)) {
      daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(aResponse().withFault(fault)));

      rail.authorize(request(15_000)).as(StepVerifier::create)
          .as(fault.name())
          .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(RailException.class, lost -> {
            assertThat(lost.surelyNotCharged()).isFalse();
            assertThat(lost.getMessage()).startsWith("mpesa: STK push sent, but no answer was read");
          }))
          .verify(VERIFY);
      ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(request(15_000)).as(StepVerifier::create)
          .as(fault.name())
          .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
    }
  }

  @Test
  void aPushThatCouldNotConnectIsSurelyNotCharged() throws IOException {
    int unusedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      unusedPort = socket.getLocalPort();
    }
    MpesaRail unreachable = new MpesaRail(WebClient.create("http://127.0.0.1:" + unusedPort), "key", "secret",
        "174379", "passkey", (operator, ref) -> "http://127.0.0.1:1/v1/callbacks/mpesa/t", Clock.systemUTC());

    ResilientRail.of(unreachable, limits(Duration.ofSeconds(2))).authorize(request(15_000)).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.NotAttempted.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void aBodyDribblingInPastTheTimeoutIsUnknownAndWithinItIsRead() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(okJson(ACCEPTED).withChunkedDribbleDelay(5, 1_500)));
    ResilientRail.of(rail, limits(Duration.ofMillis(400))).authorize(request(15_000)).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);

    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(okJson(ACCEPTED).withChunkedDribbleDelay(6, 300)));
    ResilientRail.of(rail, limits(Duration.ofSeconds(3))).authorize(request(15_000)).as(StepVerifier::create)
        .expectNext(new RailOutcome.Pending("mpesa", "ws_CO_1")).expectComplete().verify(VERIFY);
  }

  @Test
  void malformedJsonFromDarajaIsUnknownForThePushAndTheQuery() {
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_PUSH_PATH)).willReturn(okJson("{\"CheckoutRequestID\": ")));
    daraja.stubFor(post(urlPathEqualTo(MpesaRail.STK_QUERY_PATH)).willReturn(okJson("<html>busy</html>")));
    ResilientRail resilient = ResilientRail.of(rail, limits(Duration.ofSeconds(2)));

    resilient.authorize(request(15_000)).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
    resilient.queryStatus("ws_CO_1").as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  /** A window of 4 calls, open at 50 % failures, half open after 1.5 s with one probe. */
  private static RailLimits stormLimits() {
    return new RailLimits(Duration.ofSeconds(2), 10, 100, 50f, 80f, Duration.ofSeconds(2), 4, 4, Duration.ofMillis(1_500), 1);
  }

  private static RailLimits limits(Duration timeout) {
    return new RailLimits(timeout, 10, 100, 50f, 80f, Duration.ofSeconds(2), 50, 20, Duration.ofSeconds(10), 5);
  }
}
