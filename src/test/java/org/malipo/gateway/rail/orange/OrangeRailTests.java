package org.malipo.gateway.rail.orange;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
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
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The Orange Money adapter against a WireMock Orange: wire format, answers, faults, token refresh. */
class OrangeRailTests {

  private static final Duration VERIFY = Duration.ofSeconds(10);
  private static final String INIT = "/omcoreapis/1.0.2/mp/init";
  private static final String PAY = "/omcoreapis/1.0.2/mp/pay";
  private static final String STATUS = "/omcoreapis/1.0.2/mp/paymentstatus/";

  private WireMockServer orange;
  private OrangeRail rail;

  @BeforeEach
  void start() {
    orange = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    orange.start();
    orange.stubFor(post(urlPathEqualTo("/token"))
        .willReturn(okJson("{\"access_token\":\"tok-1\",\"token_type\":\"Bearer\",\"expires_in\":3600}")));
    orange.stubFor(post(urlPathEqualTo(INIT))
        .willReturn(okJson("{\"message\":\"Payment request successfully initiated\",\"data\":{\"payToken\":\"MP1\"}}")));
    rail = new OrangeRail(WebClient.create(orange.baseUrl()), "id", "secret", "x-auth", "691301143", "2222",
        (operator, ref) -> "http://127.0.0.1:1/v1/callbacks/orange/t?ref=" + ref, Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    orange.stop();
  }

  private static RailRequest request(String msisdn) {
    return new RailRequest("pay_1", "att_1_1", "mer_1", new Money(5_000, CurrencyUnit.XOF),
        new MobileMoneyPayer(MobileMoneyOperator.ORANGE, msisdn), "order-42");
  }

  private static String data(String status, String confirm) {
    return "{\"message\":\"m\",\"data\":{\"payToken\":\"MP1\",\"txnid\":\"T1\",\"status\":\"" + status
        + "\",\"confirmtxnstatus\":\"" + confirm + "\"}}";
  }

  @Test
  void acceptedPaymentIsPendingAndSendsOrangeFormat() {
    orange.stubFor(post(urlPathEqualTo(PAY)).willReturn(okJson(data("PENDING", ""))));

    rail.authorize(request("+2250707000000")).as(StepVerifier::create)
        .expectNext(new RailOutcome.Pending("orange", "MP1")).expectComplete().verify(VERIFY);

    var sent = orange.findAll(postRequestedFor(urlPathEqualTo(PAY))).getFirst();
    assertThat(sent.getHeader("X-AUTH-TOKEN")).isEqualTo("x-auth");
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer tok-1");
    JsonNode body = JsonMapper.builder().build().readTree(sent.getBodyAsString());
    assertThat(body.path("amount").isString()).isTrue();
    assertThat(body.path("amount").asString()).isEqualTo("5000");
    assertThat(body.path("subscriberMsisdn").asString()).isEqualTo("0707000000");
    assertThat(body.path("orderId").asString()).isEqualTo("att_1_1");
    assertThat(body.path("payToken").asString()).isEqualTo("MP1");
    assertThat(body.path("notifUrl").asString()).endsWith("?ref=att_1_1");
  }

  @Test
  void aRefusedPaymentIsDeclinedAndAFailedInitIsSurelyNotCharged() {
    orange.stubFor(post(urlPathEqualTo(PAY)).willReturn(okJson(data("FAILED", "60019"))));
    rail.authorize(request("+221770000000")).as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("insufficient_funds"))
        .expectComplete().verify(VERIFY);

    orange.stubFor(post(urlPathEqualTo(INIT)).willReturn(aResponse().withStatus(500)));
    rail.authorize(request("+2250707000000")).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue()).verify(VERIFY);
  }

  @Test
  void aWalletOutsideOrangesMarketsIsRefusedBeforeAnyCall() {
    rail.authorize(request("+254733000000")).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue()).verify(VERIFY);
    orange.verify(0, postRequestedFor(urlPathEqualTo(INIT)));
  }

  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "502 | <html>502 Bad Gateway</html>",
      "503 | ''",
      "200 | ''",
      "200 | {\"data\": {\"status\": \"PEND",
      "400 | {\"message\":\"bad\"}"})
  void otherPaymentAnswersAreUnknown(int status, String body) {
    orange.stubFor(post(urlPathEqualTo(PAY)).willReturn(aResponse().withStatus(status).withBody(body)));
    ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(request("+2250707000000")).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void aTimeoutIsUnknownAndAResetAfterSendingMayHaveCharged() {
    orange.stubFor(post(urlPathEqualTo(PAY)).willReturn(okJson(data("PENDING", "")).withFixedDelay(1_500)));
    ResilientRail.of(rail, limits(Duration.ofMillis(400))).authorize(request("+2250707000000")).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);

    orange.stubFor(post(urlPathEqualTo(PAY)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
    rail.authorize(request("+2250707000000")).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isFalse()).verify(VERIFY);
  }

  @Test
  void expiredTokenIsRefreshedOnceAndTheCallRetried() {
    orange.stubFor(post(urlPathEqualTo(PAY)).inScenario("token").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(401)).willSetStateTo("refreshed"));
    orange.stubFor(post(urlPathEqualTo(PAY)).inScenario("token").whenScenarioStateIs("refreshed")
        .willReturn(okJson(data("PENDING", ""))));

    rail.authorize(request("+2250707000000")).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Pending.class::isInstance).expectComplete().verify(VERIFY);
    orange.verify(2, postRequestedFor(urlPathEqualTo("/token")));
  }

  @Test
  void statusMapsOrangesStatuses() {
    status("MPA", data("SUCCESSFULL", "200"));
    rail.queryStatus("MPA").as(StepVerifier::create).expectNextMatches(RailOutcome.Approved.class::isInstance).verifyComplete();
    status("MPB", data("FAILED", "60019"));
    rail.queryStatus("MPB").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("insufficient_funds"))
        .verifyComplete();
    status("MPC", data("CANCELLED", ""));
    rail.queryStatus("MPC").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("customer_cancelled"))
        .verifyComplete();
    status("MPD", data("EXPIRED", ""));
    rail.queryStatus("MPD").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("timeout")).verifyComplete();
    status("MPE", data("PENDING", ""));
    rail.queryStatus("MPE").as(StepVerifier::create).expectNextMatches(RailOutcome.Pending.class::isInstance).verifyComplete();
    status("MPF", "{\"data\": {\"sta");
    rail.queryStatus("MPF").as(StepVerifier::create).expectNextMatches(RailOutcome.Unknown.class::isInstance).verifyComplete();
  }

  @Test
  void notificationIsReadAndBadBodiesAreRefused() {
    var callback = rail.readCallback("{\"payToken\":\"MP1\",\"status\":\"SUCCESSFULL\",\"message\":\"ok\"}"
        .getBytes(StandardCharsets.UTF_8), "att_1_1");
    assertThat(callback.railReference()).isEqualTo("MP1");
    assertThat(callback.externalId()).isEqualTo("att_1_1");
    assertThat(callback.outcome()).isInstanceOf(RailOutcome.Approved.class);
    assertThatThrownBy(() -> rail.readCallback("{\"status\":\"FAILED\"}".getBytes(StandardCharsets.UTF_8), null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(rail.supportsRefunds()).isFalse();
  }

  private void status(String payToken, String body) {
    orange.stubFor(get(urlPathEqualTo(STATUS + payToken)).willReturn(okJson(body)));
  }

  private static RailLimits limits(Duration timeout) {
    return new RailLimits(timeout, 10, 100, 50f, 80f, Duration.ofSeconds(2), 50, 20, Duration.ofSeconds(10), 5);
  }
}
