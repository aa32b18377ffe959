package org.malipo.gateway.rail.mpesa;

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
import io.netty.channel.ChannelOption;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.PayoutOutcome;
import org.malipo.gateway.rail.PayoutRail.PayoutResult;
import org.malipo.gateway.rail.PayoutRail.ResultKind;
import org.malipo.gateway.rail.PayoutRequest;
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** M-Pesa B2C, Transaction Status and Reversal against a WireMock Daraja: wire format, answers, faults, results. */
class MpesaB2cRailTests {

  private static final Duration VERIFY = Duration.ofSeconds(10);
  private static final String ACCEPTED = """
      {"ConversationID":"AG_1","OriginatorConversationID":"po_1","ResponseCode":"0","ResponseDescription":"Accept"}""";

  private WireMockServer daraja;
  private MpesaB2cRail rail;

  @BeforeEach
  void start() {
    daraja = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    daraja.start();
    daraja.stubFor(get(urlPathEqualTo("/oauth/v1/generate"))
        .willReturn(okJson("{\"access_token\":\"tok-1\",\"expires_in\":\"3599\"}")));
    WebClient client = WebClient.builder().baseUrl(daraja.baseUrl())
        .clientConnector(new ReactorClientHttpConnector(HttpClient.create().responseTimeout(Duration.ofSeconds(2))
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 500)))
        .build();
    MpesaRail stk = new MpesaRail(client, "key", "secret", "174379", "passkey",
        (operator, ref) -> "http://127.0.0.1:1/v1/callbacks/mpesa/t", Clock.systemUTC());
    rail = new MpesaB2cRail(stk, "initiator", "credential", "600984",
        (operator, ref) -> "http://127.0.0.1:1/v1/callbacks/mpesa/t", false);
  }

  @AfterEach
  void stop() {
    daraja.stop();
  }

  private static PayoutRequest request(long amountMinor) {
    return new PayoutRequest("po_1", new Money(amountMinor, CurrencyUnit.KES), "+254708374149", "Payout 42");
  }

  @Test
  void anAcceptedPayoutIsPendingNeverPaidAndSendsDarajasFormat() {
    daraja.stubFor(post(urlPathEqualTo(MpesaB2cRail.B2C_PATH)).willReturn(okJson(ACCEPTED)));

    rail.send(request(50_000)).as(StepVerifier::create)
        .expectNext(new PayoutOutcome.Pending("mpesa", "AG_1")).verifyComplete();

    var sent = daraja.findAll(postRequestedFor(urlPathEqualTo(MpesaB2cRail.B2C_PATH))).getFirst();
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer tok-1");
    JsonNode body = JsonMapper.builder().build().readTree(sent.getBodyAsString());
    assertThat(body.get("OriginatorConversationID").asString()).as("our id, Daraja's idempotency key").isEqualTo("po_1");
    assertThat(body.get("Amount").asLong()).as("whole KES").isEqualTo(500);
    assertThat(body.get("PartyB").asString()).isEqualTo("254708374149");
    assertThat(body.get("PartyA").asString()).isEqualTo("600984");
    assertThat(body.get("CommandID").asString()).isEqualTo("BusinessPayment");
    assertThat(body.get("ResultURL").asString()).endsWith("/v1/callbacks/mpesa/t/b2c/result?ref=po_1");
    assertThat(body.get("QueueTimeOutURL").asString()).endsWith("/v1/callbacks/mpesa/t/b2c/timeout?ref=po_1");
    assertThat(body.has("Occassion")).as("Daraja's spelling").isTrue();
  }

  @Test
  void aRefusedFieldIsNotAttemptedAndSafeToFail() {
    daraja.stubFor(post(urlPathEqualTo(MpesaB2cRail.B2C_PATH)).willReturn(aResponse().withStatus(400)
        .withBody("{\"errorCode\":\"400.002.02\",\"errorMessage\":\"Bad Request - Invalid PartyB\"}")));
    rail.send(request(50_000)).as(StepVerifier::create)
        .expectNextMatches(PayoutOutcome.NotAttempted.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void aDuplicateOriginatorIdIsUnknownNeverFailed() {
    daraja.stubFor(post(urlPathEqualTo(MpesaB2cRail.B2C_PATH)).willReturn(aResponse().withStatus(500)
        .withBody("{\"errorCode\":\"500.002.1001\",\"errorMessage\":\"Duplicate OriginatorConversationID.\"}")));
    rail.send(request(50_000)).as(StepVerifier::create)
        .expectNextMatches(PayoutOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);

  }

  @Test
  void aProxyErrorIsUnknown() {
    daraja.stubFor(post(urlPathEqualTo(MpesaB2cRail.B2C_PATH)).willReturn(aResponse().withStatus(502)));
    rail.send(request(50_000)).as(StepVerifier::create)
        .expectNextMatches(PayoutOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);

  }

  @Test
  void noAnswerInTimeIsUnknown() {
    daraja.stubFor(post(urlPathEqualTo(MpesaB2cRail.B2C_PATH)).willReturn(okJson(ACCEPTED).withFixedDelay(4_000)));
    rail.send(request(50_000)).as(StepVerifier::create)
        .expectNextMatches(PayoutOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void anUnreachableDarajaIsNotAttempted() {
    daraja.stop();
    rail.send(request(50_000)).as(StepVerifier::create)
        .expectNextMatches(PayoutOutcome.NotAttempted.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void centsAreNeverSent() {
    rail.send(request(50_050)).as(StepVerifier::create)
        .expectNextMatches(PayoutOutcome.NotAttempted.class::isInstance).expectComplete().verify(VERIFY);
    assertThat(daraja.findAll(postRequestedFor(urlPathEqualTo(MpesaB2cRail.B2C_PATH)))).isEmpty();
  }

  @Test
  void theStatusQueryIsAcceptedAndItsAnswerComesAsAResult() {
    daraja.stubFor(post(urlPathEqualTo(MpesaB2cRail.STATUS_PATH)).willReturn(okJson(ACCEPTED)));
    rail.query("po_1", null).as(StepVerifier::create)
        .expectNext(new PayoutOutcome.Pending("mpesa", null)).verifyComplete();
    JsonNode body = JsonMapper.builder().build().readTree(
        daraja.findAll(postRequestedFor(urlPathEqualTo(MpesaB2cRail.STATUS_PATH))).getFirst().getBodyAsString());
    assertThat(body.get("CommandID").asString()).isEqualTo("TransactionStatusQuery");
    assertThat(body.get("OriginatorConversationID").asString()).isEqualTo("po_1");
    assertThat(body.get("ResultURL").asString()).endsWith("/b2c/status?ref=po_1");
  }

  @Test
  void readsResults() {
    PayoutResult paid = rail.readResult(bytes("""
        {"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"ok","OriginatorConversationID":"po_1",
         "ConversationID":"AG_1","TransactionID":"SE63","ResultParameters":{"ResultParameter":[
         {"Key":"TransactionAmount","Value":500},{"Key":"TransactionReceipt","Value":"SE63"}]}}}"""), ResultKind.RESULT);
    assertThat(paid).isEqualTo(new PayoutResult("po_1", new PayoutOutcome.Paid("mpesa", "AG_1", "SE63"), 50_000L));

    PayoutResult refused = rail.readResult(bytes("""
        {"Result":{"ResultType":0,"ResultCode":2040,"ResultDesc":"not registered","OriginatorConversationID":"po_1"}}"""),
        ResultKind.RESULT);
    assertThat(((PayoutOutcome.Failed) refused.outcome()).failureCode()).isEqualTo("recipient_invalid");
    PayoutResult unknownMsisdn = rail.readResult(bytes("""
        {"Result":{"ResultCode":"SFC_IC0003","ResultDesc":"x","OriginatorConversationID":"po_1"}}"""), ResultKind.RESULT);
    assertThat(((PayoutOutcome.Failed) unknownMsisdn.outcome()).failureCode()).isEqualTo("recipient_invalid");

    PayoutResult completed = rail.readResult(bytes("""
        {"Result":{"ResultCode":0,"ResultDesc":"ok","OriginatorConversationID":"TS-1","ResultParameters":{"ResultParameter":[
         {"Key":"ReceiptNo","Value":"SE63"},{"Key":"Amount","Value":500},{"Key":"TransactionStatus","Value":"Completed"}]}}}"""),
        ResultKind.STATUS);
    assertThat(completed.payoutId()).as("named by the query, not the payout: the ref says which").isNull();
    assertThat(completed.outcome()).isEqualTo(new PayoutOutcome.Paid("mpesa", null, "SE63"));
    PayoutResult stillPending = rail.readResult(bytes("""
        {"Result":{"ResultCode":0,"ResultDesc":"ok","ResultParameters":{"ResultParameter":[
         {"Key":"TransactionStatus","Value":"Pending"}]}}}"""), ResultKind.STATUS);
    assertThat(stillPending.outcome()).isInstanceOf(PayoutOutcome.Pending.class);
    PayoutResult notFound = rail.readResult(bytes("""
        {"Result":{"ResultCode":1,"ResultDesc":"The transaction could not be found."}}"""), ResultKind.STATUS);
    assertThat(notFound.outcome()).isInstanceOf(PayoutOutcome.NotFound.class);
    assertThat(rail.readResult(bytes("{\"Result\":{\"ResultCode\":1}}"), ResultKind.TIMEOUT).outcome())
        .isInstanceOf(PayoutOutcome.Unknown.class);

    assertThatThrownBy(() -> rail.readResult(bytes("{\"Body\":{}}"), ResultKind.RESULT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> rail.readResult(bytes("not json"), ResultKind.RESULT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> rail.readResult(bytes("""
        {"Result":{"ResultCode":0,"OriginatorConversationID":"po_1","ResultParameters":{"ResultParameter":[
         {"Key":"TransactionAmount","Value":"5.005"}]}}}"""), ResultKind.RESULT))
        .as("a fraction of a cent is no KES amount").isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aReversalNamesTheReceiptAndItsResultSettlesTheRefund() {
    daraja.stubFor(post(urlPathEqualTo(MpesaB2cRail.REVERSAL_PATH)).willReturn(okJson(ACCEPTED)));
    rail.refund(new RefundRequest("ref_1", "pay_1", "ws_CO_1", new Money(10_000, CurrencyUnit.KES), "SE12ABC3DE"))
        .as(StepVerifier::create).expectNextMatches(RefundOutcome.Unknown.class::isInstance).verifyComplete();
    JsonNode body = JsonMapper.builder().build().readTree(
        daraja.findAll(postRequestedFor(urlPathEqualTo(MpesaB2cRail.REVERSAL_PATH))).getFirst().getBodyAsString());
    assertThat(body.get("TransactionID").asString()).isEqualTo("SE12ABC3DE");
    assertThat(body.get("Amount").asLong()).isEqualTo(100);
    assertThat(body.get("CommandID").asString()).isEqualTo("TransactionReversal");
    assertThat(body.get("ResultURL").asString()).endsWith("/reversal/result?ref=ref_1");
    assertThat(body.has("RecieverIdentifierType")).as("Daraja's spelling").isTrue();

    assertThat(rail.readRefundResult(bytes("{\"Result\":{\"ResultCode\":0,\"TransactionID\":\"SR1\"}}"), ResultKind.RESULT))
        .isEqualTo(new RefundOutcome.Refunded("mpesa", "SR1"));
    assertThat(rail.readRefundResult(bytes("{\"Result\":{\"ResultCode\":\"R000001\",\"ResultDesc\":\"already\"}}"),
        ResultKind.RESULT)).isInstanceOf(RefundOutcome.Refused.class);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
