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
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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

  @Test
  void serverErrorBecomesNotAttemptedAndTimeoutUnknown() {
    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(503)));
    ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(request()).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.NotAttempted.class::isInstance).verifyComplete();

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
    momo.stubFor(post(urlPathEqualTo(RTP)).willReturn(aResponse().withStatus(500)));
    ResilientRail resilient = ResilientRail.of(rail,
        new RailLimits(Duration.ofSeconds(2), 10, 100, 50f, 80f, Duration.ofSeconds(2), 4, 4, Duration.ofMillis(1_500), 1));
    Flux.range(0, 4).concatMap(i -> resilient.authorize(request())).as(StepVerifier::create)
        .thenConsumeWhile(RailOutcome.NotAttempted.class::isInstance).expectComplete().verify(VERIFY);
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
