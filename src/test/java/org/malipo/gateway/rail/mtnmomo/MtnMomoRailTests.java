package org.malipo.gateway.rail.mtnmomo;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Clock;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
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

/** The MoMo Collections adapter against a WireMock MoMo: wire format, answers, faults, token refresh. */
class MtnMomoRailTests {

  private static final Duration VERIFY = Duration.ofSeconds(10);
  private static final String RTP = "/collection/v1_0/requesttopay";

  private WireMockServer momo;
  private MtnMomoRail rail;

  @BeforeEach
  void start() {
    momo = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    momo.start();
    momo.stubFor(post(urlPathEqualTo("/collection/token/"))
        .willReturn(okJson("{\"access_token\":\"jwt-1\",\"token_type\":\"access_token\",\"expires_in\":3600}")));
    rail = new MtnMomoRail(WebClient.create(momo.baseUrl()), "sub-key", "api-user", "api-key", "mtnuganda",
        (operator, ref) -> "http://127.0.0.1:1/v1/callbacks/mtn-momo/t?ref=" + ref, Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    momo.stop();
  }

  private static RailRequest request() {
    return new RailRequest("pay_1", "att_1_1", "mer_1", new Money(5_000, CurrencyUnit.UGX),
        new MobileMoneyPayer(MobileMoneyOperator.MTN_MOMO, "+256770000000"), "order-42");
  }

  @Test
  void acceptedRequestToPayIsPendingAndSendsMomoFormat() {
    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(202)));
    String reference = MtnMomoRail.referenceId("att_1_1");

    rail.authorize(request()).as(StepVerifier::create)
        .expectNext(new RailOutcome.Pending("mtn_momo", reference)).verifyComplete();

    var sent = momo.findAll(postRequestedFor(urlPathEqualTo(RTP))).getFirst();
    assertThat(sent.getHeader("X-Reference-Id")).isEqualTo(reference);
    assertThat(sent.getHeader("X-Target-Environment")).isEqualTo("mtnuganda");
    assertThat(sent.getHeader("X-Callback-Url")).endsWith("?ref=" + reference);
    assertThat(sent.getHeader("Ocp-Apim-Subscription-Key")).isEqualTo("sub-key");
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer jwt-1");
    JsonNode body = JsonMapper.builder().build().readTree(sent.getBodyAsString());
    assertThat(body.get("amount").isString()).isTrue();
    assertThat(body.get("amount").asString()).isEqualTo("5000");
    assertThat(body.get("payer").get("partyId").asString()).isEqualTo("256770000000");
    assertThat(body.get("externalId").asString()).isEqualTo("att_1_1");
  }

  @Test
  void rejectedRequestIsSurelyNotCharged() {
    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(400)
        .withBody("{\"code\":\"VALIDATION_ERROR\",\"message\":\"bad\"}")));
    rail.authorize(request()).as(StepVerifier::create)
        .verifyErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue());
  }

  /** MoMo's documented refusals of a request-to-pay (rails.md §2.3, §2.5): no request exists. */
  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "400 | {\"code\":\"VALIDATION_ERROR\",\"message\":\"Unsupported decimals\"}",
      "400 | {\"code\":\"INVALID_CALLBACK_URL_HOST\",\"message\":\"Callback URL is empty\"}",
      "500 | {\"code\":\"NOT_ALLOWED_TARGET_ENVIRONMENT\",\"message\":\"Access to target environment is forbidden\"}",
      "500 | {\"code\":\"INVALID_CURRENCY\",\"message\":\"Currency not supported\"}",
      "500 | {\"code\":\"INVALID_CALLBACK_URL_HOST\",\"message\":\"Callback URL host does not match\"}",
      "401 | {\"statusCode\":401,\"message\":\"Access denied due to invalid subscription key.\"}"})
  void documentedRefusalsAreSurelyNotCharged(int status, String body) {
    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(status)
        .withHeader("Content-Type", "application/json").withBody(body)));

    rail.authorize(request()).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(RailException.class, refused -> {
          assertThat(refused.surelyNotCharged()).isTrue();
          assertThat(refused.getMessage()).contains("HTTP " + status);
        }))
        .verify(VERIFY);
  }

  /** Any other error answer may come after the request was created: unknown, resolved by its status. */
  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "502 | <html><body>502 Bad Gateway</body></html>",
      "503 | ''",
      "503 | {\"code\":\"SERVICE_UNAVAILABLE\",\"message\":\"Service unavailable\"}",
      "500 | ''",
      "500 | {\"code\":\"INTERNAL_PROCESSING_ERROR\",\"message\":\"An internal error occurred\"}",
      "502 | {\"code\":\"VALIDATION_ERROR\",\"message\":\"bad\"}",
      "400 | <html>Bad Request</html>",
      "404 | ''",
      "200 | ''"})
  void otherAnswersAreUnknown(int status, String body) {
    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(status).withBody(body)));

    ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(request()).as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Unknown.class,
            unknown -> assertThat(unknown.reason()).startsWith("HTTP " + status)))
        .expectComplete()
        .verify(VERIFY);
  }

  @Test
  void aConnectionLostAfterTheRequestWasSentMayHaveCharged() {
    for (Fault fault : List.of(Fault.CONNECTION_RESET_BY_PEER, Fault.EMPTY_RESPONSE)) {
      momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withFault(fault)));

      rail.authorize(request()).as(StepVerifier::create)
          .as(fault.name())
          .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(RailException.class, lost -> {
            assertThat(lost.surelyNotCharged()).isFalse();
            assertThat(lost.getMessage()).startsWith("mtn_momo: request-to-pay sent, but no answer was read");
          }))
          .verify(VERIFY);
      ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(request()).as(StepVerifier::create)
          .as(fault.name())
          .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
    }
  }

  @Test
  void aRequestThatCouldNotConnectIsSurelyNotCharged() throws IOException {
    int unusedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      unusedPort = socket.getLocalPort();
    }
    MtnMomoRail unreachable = new MtnMomoRail(WebClient.create("http://127.0.0.1:" + unusedPort), "sub-key",
        "api-user", "api-key", "mtnuganda", (operator, ref) -> "http://127.0.0.1:1/v1/callbacks/mtn-momo/t",
        Clock.systemUTC());

    ResilientRail.of(unreachable, limits(Duration.ofSeconds(2))).authorize(request()).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.NotAttempted.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void aServerErrorIsUnknownAndATimeoutToo() {
    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(503)));
    ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(request()).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).verifyComplete();

    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(202).withFixedDelay(1_500)));
    ResilientRail.of(rail, limits(Duration.ofMillis(300))).authorize(request()).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void expiredTokenIsRefreshedOnceAndTheCallRetried() {
    momo.stubFor(post(urlPathEqualTo(RTP)).inScenario("token").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(401)).willSetStateTo("refreshed"));
    momo.stubFor(post(urlPathEqualTo(RTP)).inScenario("token").whenScenarioStateIs("refreshed")
        .willReturn(aResponse().withStatus(202)));

    rail.authorize(request()).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Pending.class::isInstance).expectComplete().verify(VERIFY);
    momo.verify(2, postRequestedFor(urlPathEqualTo("/collection/token/")));
  }

  @Test
  void statusMapsSuccessfulAndFailedReasons() {
    momo.stubFor(get(urlPathEqualTo(RTP + "/ref-1")).willReturn(okJson(
        "{\"amount\":\"5000\",\"currency\":\"UGX\",\"status\":\"FAILED\",\"reason\":\"APPROVAL_REJECTED\"}")));
    rail.queryStatus("ref-1").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("customer_cancelled"))
        .verifyComplete();
    momo.stubFor(get(urlPathEqualTo(RTP + "/ref-2")).willReturn(okJson(
        "{\"financialTransactionId\":\"1\",\"amount\":\"5000\",\"currency\":\"UGX\",\"status\":\"SUCCESSFUL\"}")));
    rail.queryStatus("ref-2").as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Approved.class::isInstance).verifyComplete();
  }

  // --- fault injection (issue 5): delays, storms, resets, slow and malformed bodies ----------

  @Test
  void randomDelaysWithinTheTimeoutStillPendAndPastItAreUnknown() {
    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(202).withUniformRandomDelay(20, 200)));
    ResilientRail fast = ResilientRail.of(rail, limits(Duration.ofSeconds(2)));
    Flux.range(0, 4).concatMap(i -> fast.authorize(request())).as(StepVerifier::create)
        .thenConsumeWhile(RailOutcome.Pending.class::isInstance).expectComplete().verify(VERIFY);

    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(202).withUniformRandomDelay(900, 1_400)));
    ResilientRail slow = ResilientRail.of(rail, limits(Duration.ofMillis(300)));
    Flux.range(0, 3).flatMap(i -> slow.authorize(request())).as(StepVerifier::create)
        .thenConsumeWhile(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void a5xxStormOpensTheCircuitAndAHalfOpenProbeClosesIt() {
    // A bare 500 is unknown (not a documented refusal); unknown answers count as failures.
    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(500)));
    ResilientRail resilient = ResilientRail.of(rail,
        new RailLimits(Duration.ofSeconds(2), 10, 100, 50f, 80f, Duration.ofSeconds(2), 4, 4, Duration.ofMillis(1_500), 1));
    Flux.range(0, 4).concatMap(i -> resilient.authorize(request())).as(StepVerifier::create)
        .thenConsumeWhile(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
    assertThat(resilient.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
    resilient.authorize(request()).as(StepVerifier::create)
        .expectNext(new RailOutcome.NotAttempted("mtn_momo", "circuit_open", true)).expectComplete().verify(VERIFY);
    momo.verify(4, postRequestedFor(urlPathEqualTo(RTP)));

    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(202)));
    Mono.delay(Duration.ofMillis(1_700)).then(resilient.authorize(request())).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Pending.class::isInstance).expectComplete().verify(VERIFY);
    assertThat(resilient.circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void aConnectionResetAfterTheRequestWasSentIsUnknown() {
    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

    ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(request()).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void aStatusBodyDribblingInPastTheTimeoutIsUnknownAndWithinItIsRead() {
    String successful = "{\"financialTransactionId\":\"7\",\"amount\":\"5000\",\"currency\":\"UGX\",\"status\":\"SUCCESSFUL\"}";
    momo.stubFor(get(urlPathEqualTo(RTP + "/ref-slow")).willReturn(okJson(successful).withChunkedDribbleDelay(5, 1_500)));
    momo.stubFor(get(urlPathEqualTo(RTP + "/ref-dribble")).willReturn(okJson(successful).withChunkedDribbleDelay(6, 300)));

    ResilientRail.of(rail, limits(Duration.ofMillis(400))).queryStatus("ref-slow").as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
    ResilientRail.of(rail, limits(Duration.ofSeconds(3))).queryStatus("ref-dribble").as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Approved.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void aMalformedStatusBodyIsUnknownNeverAnOutcome() {
    momo.stubFor(get(urlPathEqualTo(RTP + "/ref-bad")).willReturn(okJson("{\"status\": \"SUCC")));

    rail.queryStatus("ref-bad").as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void theStatusOfAnUnknownAttemptIsAskedUnderTheReferenceDerivedFromItsId() {
    String reference = MtnMomoRail.referenceId("att_9_1");
    momo.stubFor(get(urlPathEqualTo(RTP + "/" + reference)).willReturn(okJson(
        "{\"financialTransactionId\":\"8\",\"amount\":\"5000\",\"currency\":\"UGX\",\"status\":\"SUCCESSFUL\"}")));

    rail.queryStatus("att_9_1").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Approved a && a.railReference().equals(reference))
        .verifyComplete();
  }

  private static RailLimits limits(Duration timeout) {
    return new RailLimits(timeout, 10, 100, 50f, 80f, Duration.ofSeconds(2), 50, 20, Duration.ofSeconds(10), 5);
  }
}
