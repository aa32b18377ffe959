package org.malipo.gateway.rail.paystack;

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
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.MobileMoneyPayer;
import org.malipo.gateway.rail.PaymentInstrument;
import org.malipo.gateway.rail.RailException;
import org.malipo.gateway.rail.RailLimits;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import org.malipo.gateway.rail.ResilientRail;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The Paystack adapter against a WireMock Paystack: wire format, answers, faults, webhook signature, refunds. */
class PaystackRailTests {

  private static final Duration VERIFY = Duration.ofSeconds(10);
  private static final String KEY = "sk_test_abc";

  private WireMockServer paystack;
  private PaystackRail rail;

  @BeforeEach
  void start() {
    paystack = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    paystack.start();
    rail = new PaystackRail(WebClient.create(paystack.baseUrl()), KEY);
  }

  @AfterEach
  void stop() {
    paystack.stop();
  }

  private static RailRequest request(PaymentInstrument instrument, long amountMinor, CurrencyUnit currency) {
    return new RailRequest("pay_1", "att_1_1", "mer_1", new Money(amountMinor, currency), instrument, "order-42");
  }

  private static RailRequest card(String number) {
    return request(new CardData(number, 12, 2030, "123"), 250_000, CurrencyUnit.NGN);
  }

  private static String charge(String status, String channel, String gatewayResponse) {
    return "{\"status\":true,\"message\":\"Charge attempted\",\"data\":{\"id\":42,\"reference\":\"att_1_1\",\"amount\":250000,"
        + "\"currency\":\"NGN\",\"channel\":\"" + channel + "\",\"status\":\"" + status + "\",\"gateway_response\":\""
        + gatewayResponse + "\"}}";
  }

  @Test
  void anApprovedCardChargeSendsSubunitsAndOurReference() {
    paystack.stubFor(post(urlPathEqualTo("/charge")).willReturn(okJson(charge("success", "card", "Approved"))));

    rail.authorize(card("4084084084084081")).as(StepVerifier::create)
        .expectNext(new RailOutcome.Approved("paystack", "att_1_1", "42")).expectComplete().verify(VERIFY);

    var sent = paystack.findAll(postRequestedFor(urlPathEqualTo("/charge"))).getFirst();
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer " + KEY);
    JsonNode body = JsonMapper.builder().build().readTree(sent.getBodyAsString());
    assertThat(body.path("amount").isIntegralNumber()).isTrue();
    assertThat(body.path("amount").asLong()).isEqualTo(250_000);
    assertThat(body.path("currency").asString()).isEqualTo("NGN");
    assertThat(body.path("reference").asString()).isEqualTo("att_1_1");
    assertThat(body.at("/card/expiry_month").asString()).isEqualTo("12");
  }

  @Test
  void aDeclinedCardIsCardDeclined() {
    paystack.stubFor(post(urlPathEqualTo("/charge")).willReturn(okJson(charge("failed", "card", "Declined"))));
    rail.authorize(card("4084080000005408")).as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("card_declined"))
        .expectComplete().verify(VERIFY);
  }

  @Test
  void aGhanaWalletIsChargedInTheNationalFormAndPendsOffline() {
    paystack.stubFor(post(urlPathEqualTo("/charge")).willReturn(okJson(charge("pay_offline", "mobile_money", ""))));

    rail.authorize(request(new MobileMoneyPayer(MobileMoneyOperator.TELECEL, "+233200000000"), 1_000, CurrencyUnit.GHS))
        .as(StepVerifier::create).expectNext(new RailOutcome.Pending("paystack", "att_1_1")).expectComplete().verify(VERIFY);

    JsonNode body = JsonMapper.builder().build().readTree(
        paystack.findAll(postRequestedFor(urlPathEqualTo("/charge"))).getFirst().getBodyAsString());
    assertThat(body.at("/mobile_money/phone").asString()).isEqualTo("0200000000");
    assertThat(body.at("/mobile_money/provider").asString()).isEqualTo("vod");
    assertThat(body.path("amount").asLong()).isEqualTo(1_000);
  }

  @Test
  void aRefusedChargeIsSurelyNotChargedButADuplicateReferenceIsUnknown() {
    paystack.stubFor(post(urlPathEqualTo("/charge")).willReturn(aResponse().withStatus(400)
        .withHeader("Content-Type", "application/json").withBody("{\"status\":false,\"message\":\"Invalid amount\"}")));
    rail.authorize(card("4084084084084081")).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue()).verify(VERIFY);

    paystack.stubFor(post(urlPathEqualTo("/charge")).willReturn(aResponse().withStatus(400)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"status\":false,\"message\":\"Duplicate Transaction Reference\"}")));
    rail.authorize(card("4084084084084081")).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void aRefusedSecretKeyIsSurelyNotCharged() {
    paystack.stubFor(post(urlPathEqualTo("/charge")).willReturn(aResponse().withStatus(401)
        .withBody("{\"status\":false,\"message\":\"Invalid key\"}")));
    rail.authorize(card("4084084084084081")).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue()).verify(VERIFY);
  }

  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "502 | <html>502 Bad Gateway</html>",
      "500 | {\"status\":false,\"message\":\"An error occurred\"}",
      "503 | ''",
      "200 | ''",
      "200 | {\"status\":true,\"data\":{\"status\":\"succ",
      "400 | <html>Bad Request</html>"})
  void otherAnswersAreUnknown(int status, String body) {
    paystack.stubFor(post(urlPathEqualTo("/charge")).willReturn(aResponse().withStatus(status).withBody(body)));
    ResilientRail.of(rail, limits(Duration.ofSeconds(2))).authorize(card("4084084084084081")).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void aTimeoutIsUnknownAResetMayHaveChargedAndARefusedConnectionIsNotAttempted() throws IOException {
    paystack.stubFor(post(urlPathEqualTo("/charge")).willReturn(okJson(charge("success", "card", "Approved"))
        .withFixedDelay(1_500)));
    ResilientRail.of(rail, limits(Duration.ofMillis(300))).authorize(card("4084084084084081")).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);

    paystack.stubFor(post(urlPathEqualTo("/charge")).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
    rail.authorize(card("4084084084084081")).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isFalse()).verify(VERIFY);

    int unusedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      unusedPort = socket.getLocalPort();
    }
    PaystackRail unreachable = new PaystackRail(WebClient.create("http://127.0.0.1:" + unusedPort), KEY);
    ResilientRail.of(unreachable, limits(Duration.ofSeconds(2))).authorize(card("4084084084084081"))
        .as(StepVerifier::create).expectNextMatches(RailOutcome.NotAttempted.class::isInstance).expectComplete()
        .verify(VERIFY);
  }

  @Test
  void verifySaysSuccessOnlyForDataStatusSuccess() {
    verify("r1", charge("success", "card", "Approved"));
    rail.queryStatus("r1").as(StepVerifier::create).expectNextMatches(RailOutcome.Approved.class::isInstance).verifyComplete();
    verify("r2", charge("failed", "mobile_money", "Transaction declined by customer"));
    rail.queryStatus("r2").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("customer_cancelled"))
        .verifyComplete();
    verify("r3", charge("ongoing", "mobile_money", ""));
    rail.queryStatus("r3").as(StepVerifier::create).expectNextMatches(RailOutcome.Pending.class::isInstance).verifyComplete();
    verify("r4", charge("abandoned", "card", ""));
    rail.queryStatus("r4").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("timeout")).verifyComplete();
    paystack.stubFor(get(urlPathEqualTo("/transaction/verify/r5")).willReturn(aResponse().withStatus(400)
        .withBody("{\"status\":false,\"message\":\"Transaction reference not found\"}")));
    rail.queryStatus("r5").as(StepVerifier::create).expectNextMatches(RailOutcome.Unknown.class::isInstance).verifyComplete();
    verify("r6", "{\"status\":true,\"data\":{\"sta");
    rail.queryStatus("r6").as(StepVerifier::create).expectNextMatches(RailOutcome.Unknown.class::isInstance).verifyComplete();
  }

  @Test
  void aWebhookIsAuthenticOnlyWithTheHmacOfItsRawBody() {
    byte[] body = "{\"event\":\"charge.success\",\"data\":{\"reference\":\"att_1_1\",\"status\":\"success\",\"amount\":1000,\"currency\":\"GHS\"}}"
        .getBytes(StandardCharsets.UTF_8);
    String signature = HexFormat.of().formatHex(PaystackRail.hmacSha512(KEY, body));
    assertThat(rail.authentic(body, Map.of("x-paystack-signature", signature)::get)).isTrue();
    assertThat(rail.authentic(body, Map.of("x-paystack-signature", signature.toUpperCase())::get)).isTrue();
    assertThat(rail.authentic(body, Map.of("x-paystack-signature", signature.replace('a', 'b'))::get)).isFalse();
    assertThat(rail.authentic(body, Map.<String, String>of()::get)).isFalse();
    byte[] altered = new String(body, StandardCharsets.UTF_8).replace("1000", "9000").getBytes(StandardCharsets.UTF_8);
    assertThat(rail.authentic(altered, Map.of("x-paystack-signature", signature)::get)).isFalse();
    String otherKey = HexFormat.of().formatHex(PaystackRail.hmacSha512("sk_test_other", body));
    assertThat(rail.authentic(body, Map.of("x-paystack-signature", otherKey)::get)).isFalse();

    var callback = rail.readCallback(body, null);
    assertThat(callback.railReference()).isEqualTo("att_1_1");
    assertThat(callback.amount()).isEqualTo(new Money(1_000, CurrencyUnit.GHS));
    assertThat(callback.outcome()).isInstanceOf(RailOutcome.Approved.class);
    assertThatThrownBy(() -> rail.readCallback("{\"event\":\"refund.processed\",\"data\":{}}".getBytes(StandardCharsets.UTF_8), null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refundsAreSentInSubunitsAndMapped() {
    noRefundsYet();
    paystack.stubFor(post(urlPathEqualTo("/refund")).willReturn(okJson(
        "{\"status\":true,\"message\":\"Refund has been queued for processing\",\"data\":{\"id\":7,\"status\":\"processed\"}}")));
    RefundRequest refund = new RefundRequest("ref_1", "pay_1", "att_1_1", new Money(1_500, CurrencyUnit.NGN));
    rail.refund(refund).as(StepVerifier::create).expectNext(new RefundOutcome.Refunded("paystack", "7")).verifyComplete();
    JsonNode body = JsonMapper.builder().build().readTree(
        paystack.findAll(postRequestedFor(urlPathEqualTo("/refund"))).getFirst().getBodyAsString());
    assertThat(body.path("transaction").asString()).isEqualTo("att_1_1");
    assertThat(body.path("amount").asLong()).isEqualTo(1_500);
    assertThat(body.path("merchant_note").asString()).isEqualTo("ref_1");

    paystack.stubFor(post(urlPathEqualTo("/refund")).willReturn(aResponse().withStatus(400)
        .withBody("{\"status\":false,\"message\":\"Transaction has been fully reversed\"}")));
    rail.refund(refund).as(StepVerifier::create).expectNextMatches(RefundOutcome.Refused.class::isInstance).verifyComplete();
    paystack.stubFor(post(urlPathEqualTo("/refund")).willReturn(aResponse().withStatus(502)));
    rail.refund(refund).as(StepVerifier::create).expectNextMatches(RefundOutcome.Unknown.class::isInstance).verifyComplete();
    assertThat(rail.supportsRefunds()).isTrue();
  }

  @Test
  void aRefundWhoseAnswerWasLostIsNeverGivenTwice() {
    paystack.stubFor(get(urlPathEqualTo("/refund")).willReturn(okJson(
        "{\"status\":true,\"data\":[{\"id\":9,\"merchant_note\":\"ref_other\",\"status\":\"processed\"},"
            + "{\"id\":11,\"merchant_note\":\"ref_1\",\"status\":\"pending\"}]}")));
    RefundRequest refund = new RefundRequest("ref_1", "pay_1", "att_1_1", new Money(1_500, CurrencyUnit.NGN));

    rail.refund(refund).as(StepVerifier::create).expectNext(new RefundOutcome.Refunded("paystack", "11")).verifyComplete();
    paystack.verify(0, postRequestedFor(urlPathEqualTo("/refund")));

    paystack.stubFor(get(urlPathEqualTo("/refund")).willReturn(aResponse().withStatus(503)));
    rail.refund(refund).as(StepVerifier::create).expectNextMatches(RefundOutcome.Unknown.class::isInstance).verifyComplete();
    paystack.verify(0, postRequestedFor(urlPathEqualTo("/refund")));
  }

  private void noRefundsYet() {
    paystack.stubFor(get(urlPathEqualTo("/refund")).willReturn(okJson("{\"status\":true,\"data\":[]}")));
  }

  @Test
  void servesCardsAndGhanaianWalletsOnly() {
    assertThat(rail.serves(new CardData("4084084084084081", 12, 2030, "123"), null)).isTrue();
    assertThat(rail.serves(new MobileMoneyPayer(MobileMoneyOperator.MTN_MOMO, "+233240000000"), null)).isTrue();
    assertThat(rail.serves(new MobileMoneyPayer(MobileMoneyOperator.MTN_MOMO, "+256770000000"), null)).isFalse();
    assertThat(rail.serves(new MobileMoneyPayer(MobileMoneyOperator.MPESA, "+254708374149"), null)).isFalse();
  }

  private void verify(String reference, String body) {
    paystack.stubFor(get(urlPathEqualTo("/transaction/verify/" + reference)).willReturn(okJson(body)));
  }

  private static RailLimits limits(Duration timeout) {
    return new RailLimits(timeout, 10, 100, 50f, 80f, Duration.ofSeconds(2), 50, 20, Duration.ofSeconds(10), 5);
  }
}
