package org.malipo.gateway.rail.flutterwave;

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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
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

/** The Flutterwave adapter against a WireMock Flutterwave: wire format, answers, faults, verif-hash, refunds. */
class FlutterwaveRailTests {

  private static final Duration VERIFY = Duration.ofSeconds(10);
  private static final String ENCRYPTION_KEY = "FLWSECK_TEST1234567890ab";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private WireMockServer flutterwave;
  private FlutterwaveRail rail;

  @BeforeEach
  void start() {
    flutterwave = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    flutterwave.start();
    rail = new FlutterwaveRail(WebClient.create(flutterwave.baseUrl()), "FLWSECK_TEST-x", "hash-1", ENCRYPTION_KEY);
  }

  @AfterEach
  void stop() {
    flutterwave.stop();
  }

  private static RailRequest request(PaymentInstrument instrument, long amountMinor, CurrencyUnit currency) {
    return new RailRequest("pay_1", "att_1_1", "mer_1", new Money(amountMinor, currency), instrument, "order-42");
  }

  private static String data(String status, String paymentType, String response) {
    return "{\"status\":\"success\",\"message\":\"Charge initiated\",\"data\":{\"id\":288200108,\"tx_ref\":\"att_1_1\","
        + "\"flw_ref\":\"FLW-MOCK-1\",\"amount\":2500,\"currency\":\"NGN\",\"status\":\"" + status + "\",\"payment_type\":\""
        + paymentType + "\",\"processor_response\":\"" + response + "\"}}";
  }

  @Test
  void aCardIsChargedInMajorUnitsWithTheEncryptedPayload() throws Exception {
    flutterwave.stubFor(post(urlPathEqualTo("/v3/charges")).willReturn(okJson(data("successful", "card", "Approved"))));

    rail.authorize(request(new CardData("5531886652142950", 9, 2032, "564"), 250_000, CurrencyUnit.NGN))
        .as(StepVerifier::create)
        .expectNext(new RailOutcome.Approved("flutterwave", "288200108", "FLW-MOCK-1")).expectComplete().verify(VERIFY);

    var sent = flutterwave.findAll(postRequestedFor(urlPathEqualTo("/v3/charges"))).getFirst();
    assertThat(sent.queryParameter("type").firstValue()).isEqualTo("card");
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer FLWSECK_TEST-x");
    JsonNode body = JSON.readTree(sent.getBodyAsString());
    assertThat(body.has("card_number")).as("the card never travels in clear").isFalse();
    Cipher cipher = Cipher.getInstance("DESede/ECB/PKCS5Padding");
    cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(ENCRYPTION_KEY.getBytes(StandardCharsets.UTF_8), "DESede"));
    JsonNode payload = JSON.readTree(cipher.doFinal(Base64.getDecoder().decode(body.path("client").asString())));
    assertThat(payload.path("card_number").asString()).isEqualTo("5531886652142950");
    assertThat(payload.path("amount").asString()).isEqualTo("2500");
    assertThat(payload.path("expiry_year").asString()).isEqualTo("32");
    assertThat(payload.path("tx_ref").asString()).isEqualTo("att_1_1");
  }

  @Test
  void aFrancophoneWalletIsChargedWithItsCountryAndNetwork() {
    flutterwave.stubFor(post(urlPathEqualTo("/v3/charges")).willReturn(okJson(data("pending", "mobilemoney", ""))));

    rail.authorize(request(new MobileMoneyPayer(MobileMoneyOperator.ORANGE, "+2250707000000"), 5_000, CurrencyUnit.XOF))
        .as(StepVerifier::create).expectNext(new RailOutcome.Pending("flutterwave", "288200108")).expectComplete()
        .verify(VERIFY);

    var sent = flutterwave.findAll(postRequestedFor(urlPathEqualTo("/v3/charges"))).getFirst();
    assertThat(sent.queryParameter("type").firstValue()).isEqualTo("mobile_money_franco");
    JsonNode body = JSON.readTree(sent.getBodyAsString());
    assertThat(body.path("phone_number").asString()).isEqualTo("2250707000000");
    assertThat(body.path("network").asString()).isEqualTo("ORANGE");
    assertThat(body.path("country").asString()).isEqualTo("CI");
    assertThat(body.path("amount").asString()).isEqualTo("5000");
  }

  @Test
  void aKeyThatIsNotA3desKeyFailsAtConstruction() {
    assertThatThrownBy(() -> new FlutterwaveRail(WebClient.create(flutterwave.baseUrl()), "k", "h", "short"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("encryption-key");
  }

  @Test
  void servesCardsInNairaAndWalletsInTheirOwnMarketOnly() {
    assertThat(rail.serves(new CardData("5531886652142950", 9, 2032, "564"), CurrencyUnit.NGN)).isTrue();
    assertThat(rail.serves(new CardData("5531886652142950", 9, 2032, "564"), CurrencyUnit.UGX)).isFalse();
    assertThat(rail.serves(new MobileMoneyPayer(MobileMoneyOperator.AIRTEL, "+256750000000"), CurrencyUnit.UGX)).isTrue();
    assertThat(rail.serves(new MobileMoneyPayer(MobileMoneyOperator.AIRTEL, "+254733000000"), CurrencyUnit.KES)).isFalse();
    assertThat(rail.serves(new MobileMoneyPayer(MobileMoneyOperator.ORANGE, "+256750000000"), CurrencyUnit.UGX)).isFalse();
  }

  @Test
  void aDeclineIsMappedAndARefusedRequestIsSurelyNotCharged() {
    flutterwave.stubFor(post(urlPathEqualTo("/v3/charges")).willReturn(okJson(data("failed", "card", "Insufficient Funds"))));
    rail.authorize(request(new CardData("5258585922666506", 9, 2032, "883"), 250_000, CurrencyUnit.NGN))
        .as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("insufficient_funds"))
        .expectComplete().verify(VERIFY);

    flutterwave.stubFor(post(urlPathEqualTo("/v3/charges")).willReturn(aResponse().withStatus(400)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"status\":\"error\",\"message\":\"Invalid card number\",\"data\":null}")));
    rail.authorize(request(new CardData("5531886652142950", 9, 2032, "564"), 250_000, CurrencyUnit.NGN))
        .as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue()).verify(VERIFY);

    flutterwave.stubFor(post(urlPathEqualTo("/v3/charges")).willReturn(aResponse().withStatus(401)));
    rail.authorize(request(new CardData("5531886652142950", 9, 2032, "564"), 250_000, CurrencyUnit.NGN))
        .as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isTrue()).verify(VERIFY);
  }

  @ParameterizedTest(name = "HTTP {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "502 | <html>502 Bad Gateway</html>",
      "500 | {\"status\":\"error\",\"message\":\"Internal error\",\"data\":null}",
      "400 | {\"status\":\"error\",\"message\":\"Duplicate transaction reference\",\"data\":null}",
      "200 | ''",
      "200 | {\"status\":\"success\",\"data\":{\"id\":1,\"sta"})
  void otherAnswersAreUnknown(int status, String body) {
    flutterwave.stubFor(post(urlPathEqualTo("/v3/charges")).willReturn(aResponse().withStatus(status).withBody(body)));
    ResilientRail.of(rail, limits(Duration.ofSeconds(2)))
        .authorize(request(new CardData("5531886652142950", 9, 2032, "564"), 250_000, CurrencyUnit.NGN))
        .as(StepVerifier::create).expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void aTimeoutIsUnknownAndAResetMayHaveCharged() {
    RailRequest wallet = request(new MobileMoneyPayer(MobileMoneyOperator.AIRTEL, "+256750000000"), 5_000, CurrencyUnit.UGX);
    flutterwave.stubFor(post(urlPathEqualTo("/v3/charges")).willReturn(okJson(data("pending", "mobilemoney", ""))
        .withFixedDelay(1_500)));
    ResilientRail.of(rail, limits(Duration.ofMillis(300))).authorize(wallet).as(StepVerifier::create)
        .expectNextMatches(RailOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);

    flutterwave.stubFor(post(urlPathEqualTo("/v3/charges")).willReturn(aResponse().withFault(Fault.EMPTY_RESPONSE)));
    rail.authorize(wallet).as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(((RailException) e).surelyNotCharged()).isFalse()).verify(VERIFY);
  }

  @Test
  void verifyByIdAndByOurReference() {
    flutterwave.stubFor(get(urlPathEqualTo("/v3/transactions/288200108/verify"))
        .willReturn(okJson(data("successful", "mobilemoney", "Approved"))));
    rail.queryStatus("288200108").as(StepVerifier::create).expectNextMatches(RailOutcome.Approved.class::isInstance)
        .verifyComplete();
    flutterwave.stubFor(get(urlPathEqualTo("/v3/transactions/verify_by_reference"))
        .willReturn(okJson(data("failed", "mobilemoney", "Transaction declined by customer"))));
    rail.queryStatus("att_1_1").as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof RailOutcome.Declined d && d.failureCode().equals("customer_cancelled"))
        .verifyComplete();
    flutterwave.stubFor(get(urlPathEqualTo("/v3/transactions/9/verify")).willReturn(aResponse().withStatus(400)
        .withBody("{\"status\":\"error\",\"message\":\"No transaction was found for this id\",\"data\":null}")));
    rail.queryStatus("9").as(StepVerifier::create).expectNextMatches(RailOutcome.Unknown.class::isInstance).verifyComplete();
  }

  @Test
  void aWebhookIsAuthenticOnlyWithTheSecretHashAndBothShapesAreRead() {
    byte[] v3 = ("{\"event\":\"charge.completed\",\"data\":{\"id\":285959875,\"tx_ref\":\"att_1_1\",\"amount\":100.5,"
        + "\"currency\":\"NGN\",\"status\":\"successful\"}}").getBytes(StandardCharsets.UTF_8);
    assertThat(rail.authentic(v3, Map.of("verif-hash", "hash-1")::get)).isTrue();
    assertThat(rail.authentic(v3, Map.of("verif-hash", "hash-2")::get)).isFalse();
    assertThat(rail.authentic(v3, Map.<String, String>of()::get)).isFalse();

    var callback = rail.readCallback(v3, null);
    assertThat(callback.railReference()).isEqualTo("285959875");
    assertThat(callback.externalId()).isEqualTo("att_1_1");
    assertThat(callback.amount()).isEqualTo(new Money(10_050, CurrencyUnit.NGN));
    assertThat(callback.outcome()).isInstanceOf(RailOutcome.Approved.class);

    byte[] legacy = ("{\"id\":285959876,\"txRef\":\"att_2_1\",\"amount\":5000,\"currency\":\"UGX\",\"status\":\"failed\","
        + "\"event.type\":\"MOBILEMONEYUG_TRANSACTION\"}").getBytes(StandardCharsets.UTF_8);
    var flat = rail.readCallback(legacy, null);
    assertThat(flat.externalId()).isEqualTo("att_2_1");
    assertThat(flat.amount()).isEqualTo(new Money(5_000, CurrencyUnit.UGX));
    assertThat(flat.outcome()).isInstanceOf(RailOutcome.Declined.class);
    assertThatThrownBy(() -> rail.readCallback("{\"event\":\"charge.completed\"}".getBytes(StandardCharsets.UTF_8), null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refundsAreSentInMajorUnitsAndMapped() {
    flutterwave.stubFor(post(urlPathEqualTo("/v3/transactions/288200108/refund")).willReturn(okJson(
        "{\"status\":\"success\",\"message\":\"Transaction refund initiated\",\"data\":{\"id\":75923,\"status\":\"completed\"}}")));
    RefundRequest refund = new RefundRequest("ref_1", "pay_1", "288200108", new Money(150_050, CurrencyUnit.NGN));
    rail.refund(refund).as(StepVerifier::create).expectNext(new RefundOutcome.Refunded("flutterwave", "75923"))
        .verifyComplete();
    JsonNode body = JSON.readTree(flutterwave.findAll(postRequestedFor(urlPathEqualTo("/v3/transactions/288200108/refund")))
        .getFirst().getBodyAsString());
    assertThat(body.path("amount").decimalValue()).isEqualByComparingTo("1500.5");

    flutterwave.stubFor(post(urlPathEqualTo("/v3/transactions/288200108/refund")).willReturn(aResponse().withStatus(400)
        .withBody("{\"status\":\"error\",\"message\":\"Refund amount exceeds the transaction amount\",\"data\":null}")));
    rail.refund(refund).as(StepVerifier::create).expectNextMatches(RefundOutcome.Refused.class::isInstance).verifyComplete();
    flutterwave.stubFor(post(urlPathEqualTo("/v3/transactions/288200108/refund")).willReturn(aResponse().withStatus(504)));
    rail.refund(refund).as(StepVerifier::create).expectNextMatches(RefundOutcome.Unknown.class::isInstance).verifyComplete();
  }

  private static RailLimits limits(Duration timeout) {
    return new RailLimits(timeout, 10, 100, 50f, 80f, Duration.ofSeconds(2), 50, 20, Duration.ofSeconds(10), 5);
  }
}
