package org.malipo.gateway.rail.airtel;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
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
import java.io.IOException;
import java.net.ServerSocket;
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

/** The Airtel Money adapter against a WireMock Airtel: wire format, answers, faults, token refresh. */
class AirtelRailTests {

  private static final Duration VERIFY = Duration.ofSeconds(10);
  private static final String PUSH = "/merchant/v1/payments/";
  private static final String TOKEN = "/auth/oauth2/token";
  private static final String ID = "att_1_1.KEKES";
  private static final String PENDING = """
      {"data":{"transaction":{"id":"att_1_1.KEKES","status":"SUCCESS"}},
       "status":{"code":"200","message":"SUCCESS","result_code":"ESB000010","response_code":"DP00800001006","success":true}}""";

  private WireMockServer airtel;
  private AirtelRail rail;

  @BeforeEach
  void start() {
    airtel = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    airtel.start();
    airtel.stubFor(post(urlPathEqualTo(TOKEN))
        .willReturn(okJson("{\"access_token\":\"tok-1\",\"expires_in\":\"180\",\"token_type\":\"bearer\"}")));
    rail = new AirtelRail(WebClient.create(airtel.baseUrl()), "client-1", "secret-1", Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    airtel.stop();
  }

  private static RailRequest request(String msisdn, long amountMinor, CurrencyUnit currency) {
    return new RailRequest("pay_1", "att_1_1", "mer_1", new Money(amountMinor, currency),
        new MobileMoneyPayer(MobileMoneyOperator.AIRTEL, msisdn), "order-42");
  }

  private static RailRequest request() {
    return request("+254733000000", 150_00, CurrencyUnit.KES);
  }

  @Test
  void acceptedPushIsPendingAndSendsAirtelFormat() {
    airtel.stubFor(post(urlPathEqualTo(PUSH)).willReturn(okJson(PENDING)));

    rail.authorize(request()).as(StepVerifier::create)
        .expectNext(new RailOutcome.Pending("airtel", ID)).expectComplete().verify(VERIFY);

    var sent = airtel.findAll(postRequestedFor(urlPathEqualTo(PUSH))).getFirst();
    assertThat(sent.getHeader("X-Country")).isEqualTo("KE");
    assertThat(sent.getHeader("X-Currency")).isEqualTo("KES");
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer tok-1");
    JsonNode body = JsonMapper.builder().build().readTree(sent.getBodyAsString());
    assertThat(body.at("/subscriber/msisdn").asString()).isEqualTo("733000000");
    assertThat(body.at("/transaction/amount").isNumber()).isTrue();
    assertThat(body.at("/transaction/amount").asString()).isEqualTo("150");
    assertThat(body.at("/transaction/id").asString()).isEqualTo(ID);
    var token = JsonMapper.builder().build().readTree(
        airtel.findAll(postRequestedFor(urlPathEqualTo(TOKEN))).getFirst().getBodyAsString());
    assertThat(token.path("grant_type").asString()).isEqualTo("client_credentials");
    assertThat(token.path("client_id").asString()).isEqualTo("client-1");
  }

  @Test
  void ugandanWalletsPayInWholeShillingsUnderTheirCountry() {
    airtel.stubFor(post(urlPathEqualTo(PUSH)).willReturn(okJson(PENDING)));

    rail.authorize(request("+256750000000", 5_000, CurrencyUnit.UGX)).as(StepVerifier::create)
        .expectNext(new RailOutcome.Pending("airtel", "att_1_1.UGUGX")).expectComplete().verify(VERIFY);

    var sent = airtel.findAll(postRequestedFor(urlPathEqualTo(PUSH))).getFirst();
    assertThat(sent.getHeader("X-Country")).isEqualTo("UG");
    JsonNode body = JsonMapper.builder().build().readTree(sent.getBodyAsString());
    assertThat(body.at("/transaction/amount").asString()).isEqualTo("5000");
    assertThat(body.at("/subscriber/msisdn").asString()).isEqualTo("750000000");
  }

  @Test
  void aFractionOfAShillingOrAForeignWalletIsRefusedBeforeAnyCall() {
    rail.authorize(request("+254733000000", 150_50, CurrencyUnit.KES)).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue()).verify(VERIFY);
    rail.authorize(request("+256750000000", 150_00, CurrencyUnit.KES)).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue()).verify(VERIFY);
    airtel.verify(0, postRequestedFor(urlPathEqualTo(PUSH)));
  }

  /** Airtel's final refusals of a push (rails.md §3.5): declined with our code. */
  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource({"DP00800001007, insufficient_funds", "DP00800001008, customer_cancelled",
      "DP00800001002, invalid_pin", "DP00800001024, timeout"})
  void rejectedPushIsDeclined(String code, String failureCode) {
    airtel.stubFor(post(urlPathEqualTo(PUSH)).willReturn(okJson(
        "{\"status\":{\"code\":\"200\",\"message\":\"FAILED\",\"response_code\":\"" + code + "\",\"success\":false}}")));

    rail.authorize(request()).as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Declined.class,
            declined -> assertThat(declined.failureCode()).isEqualTo(failureCode)))
        .expectComplete().verify(VERIFY);
  }

  @Test
  void aSignatureMismatchIsRefusedBeforeProcessingSoSurelyNotCharged() {
    airtel.stubFor(post(urlPathEqualTo(PUSH)).willReturn(aResponse().withStatus(403).withHeader("Content-Type",
        "application/json").withBody("{\"status\":{\"code\":\"403\",\"response_code\":\"DP00800001026\",\"success\":false}}")));
    rail.authorize(request()).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue()).verify(VERIFY);
  }

  /** Anything else may have sent the prompt: unknown, resolved by the enquiry. */
  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "502 | <html><body>502 Bad Gateway</body></html>",
      "503 | ''",
      "500 | {\"status\":{\"code\":\"500\",\"response_code\":\"DP00800001000\",\"success\":false}}",
      "200 | {\"status\":{\"code\":\"200\",\"response_code\":\"DP00800001000\",\"success\":false}}",
      "200 | ''",
      "200 | {\"status\": {\"success\": tr"})
  void otherAnswersAreUnknown(int status, String body) {
    airtel.stubFor(post(urlPathEqualTo(PUSH)).willReturn(aResponse().withStatus(status).withBody(body)));

    ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(request()).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void aTimeoutIsUnknownAndAResetAfterSendingMayHaveCharged() {
    airtel.stubFor(post(urlPathEqualTo(PUSH)).willReturn(okJson(PENDING).withFixedDelay(1_500)));
    ResilientRail.of(rail, limits(Duration.ofMillis(300))).authorize(request()).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);

    airtel.stubFor(post(urlPathEqualTo(PUSH)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
    rail.authorize(request()).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isFalse()).verify(VERIFY);
  }

  @Test
  void aRequestThatCouldNotConnectIsNotAttempted() throws IOException {
    int unusedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      unusedPort = socket.getLocalPort();
    }
    AirtelRail unreachable = new AirtelRail(WebClient.create("http://127.0.0.1:" + unusedPort), "c", "s",
        Clock.systemUTC());
    ResilientRail.of(unreachable, limits(Duration.ofSeconds(2))).authorize(request()).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.NotAttempted.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void expiredTokenIsRefreshedOnceAndTheCallRetried() {
    airtel.stubFor(post(urlPathEqualTo(PUSH)).inScenario("token").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(401)).willSetStateTo("refreshed"));
    airtel.stubFor(post(urlPathEqualTo(PUSH)).inScenario("token").whenScenarioStateIs("refreshed")
        .willReturn(okJson(PENDING)));

    rail.authorize(request()).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Pending.class::isInstance).expectComplete().verify(VERIFY);
    airtel.verify(2, postRequestedFor(urlPathEqualTo(TOKEN)));
  }

  @Test
  void aTokenRefusedTwiceIsSurelyNotCharged() {
    airtel.stubFor(post(urlPathEqualTo(PUSH)).willReturn(aResponse().withStatus(401)));
    rail.authorize(request()).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue()).verify(VERIFY);
  }

  @Test
  void enquiryMapsAirtelStatusesAndSendsTheWalletsCountry() {
    enquiry("att_1_1.KEKES", "TS", "DP00800001001");
    rail.queryStatus("att_1_1.KEKES").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Approved a && a.responseCode().equals("MP1"))
        .verifyComplete();
    assertThat(airtel.findAll(getRequestedFor(urlPathEqualTo("/standard/v1/payments/att_1_1.KEKES")))
        .getFirst().getHeader("X-Country")).isEqualTo("KE");

    enquiry("att_2_1.KEKES", "TF", "DP00800001024");
    rail.queryStatus("att_2_1.KEKES").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("timeout"))
        .verifyComplete();
    enquiry("att_3_1.KEKES", "TF", "DP00800001008");
    rail.queryStatus("att_3_1.KEKES").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("customer_cancelled"))
        .verifyComplete();
    enquiry("att_4_1.KEKES", "TIP", "DP00800001006");
    rail.queryStatus("att_4_1.KEKES").as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Pending.class::isInstance).verifyComplete();
    enquiry("att_5_1.KEKES", "TA", "DP00800001000");
    rail.queryStatus("att_5_1.KEKES").as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).verifyComplete();
    enquiry("att_6_1.KEKES", "TE", "DP00800001029");
    rail.queryStatus("att_6_1.KEKES").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("timeout"))
        .verifyComplete();
  }

  @Test
  void aMalformedOrFailedEnquiryIsUnknownNeverAnOutcome() {
    airtel.stubFor(get(urlPathEqualTo("/standard/v1/payments/att_7_1.KEKES")).willReturn(okJson("{\"data\": {\"tr")));
    rail.queryStatus("att_7_1.KEKES").as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).verifyComplete();
    airtel.stubFor(get(urlPathEqualTo("/standard/v1/payments/att_8_1.KEKES")).willReturn(aResponse().withStatus(503)));
    rail.queryStatus("att_8_1.KEKES").as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).verifyComplete();
    rail.queryStatus("something-else").as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).verifyComplete();
  }

  @Test
  void callbackIsReadWithoutAnAmountAndBadBodiesAreRefused() {
    var success = rail.readCallback(("{\"transaction\":{\"id\":\"att_1_1.KEKES\",\"message\":\"Paid\","
        + "\"status_code\":\"TS\",\"airtel_money_id\":\"MP1\"}}").getBytes(StandardCharsets.UTF_8), null);
    assertThat(success.railReference()).isEqualTo("att_1_1.KEKES");
    assertThat(success.externalId()).isEqualTo("att_1_1");
    assertThat(success.outcome()).isInstanceOf(RailOutcome.Approved.class);
    assertThat(success.amount()).isNull();
    var failure = rail.readCallback(("{\"transaction\":{\"id\":\"att_1_1.KEKES\",\"status_code\":\"TF\"}}")
        .getBytes(StandardCharsets.UTF_8), null);
    assertThat(failure.outcome()).isInstanceOf(RailOutcome.Declined.class);
    assertThatThrownBy(() -> rail.readCallback("{\"Body\":{}}".getBytes(StandardCharsets.UTF_8), null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> rail.readCallback("{\"transaction\":".getBytes(StandardCharsets.UTF_8), null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void airtelHasNoRefundHereAndServesItsMarketsOnly() {
    assertThat(rail.supportsRefunds()).isFalse();
    assertThat(rail.serves(new MobileMoneyPayer(MobileMoneyOperator.AIRTEL, "+254733000000"), null)).isTrue();
    assertThat(rail.serves(new MobileMoneyPayer(MobileMoneyOperator.AIRTEL, "+2250707000000"), null)).isFalse();
  }

  private void enquiry(String id, String status, String responseCode) {
    airtel.stubFor(get(urlPathEqualTo("/standard/v1/payments/" + id)).willReturn(okJson(
        "{\"data\":{\"transaction\":{\"airtel_money_id\":\"MP1\",\"id\":\"" + id + "\",\"message\":\"m\",\"status\":\""
            + status + "\"}},\"status\":{\"code\":\"200\",\"response_code\":\"" + responseCode + "\",\"success\":true}}")));
  }

  private static RailLimits limits(Duration timeout) {
    return new RailLimits(timeout, 10, 100, 50f, 80f, Duration.ofSeconds(2), 50, 20, Duration.ofSeconds(10), 5);
  }
}
