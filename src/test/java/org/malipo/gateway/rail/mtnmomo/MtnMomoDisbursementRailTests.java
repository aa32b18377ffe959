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
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.PayoutOutcome;
import org.malipo.gateway.rail.PayoutRequest;
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** MoMo Disbursements against a WireMock MoMo: transfer format, answers, status, refunds. */
class MtnMomoDisbursementRailTests {

  private static final Duration VERIFY = Duration.ofSeconds(10);
  private static final String REF = MtnMomoRail.referenceId("po_1");

  private WireMockServer momo;
  private MtnMomoDisbursementRail rail;

  @BeforeEach
  void start() {
    momo = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    momo.start();
    momo.stubFor(post(urlPathEqualTo(MtnMomoDisbursementRail.TOKEN_PATH))
        .willReturn(okJson("{\"access_token\":\"eyJ-1\",\"token_type\":\"access_token\",\"expires_in\":3600}")));
    rail = new MtnMomoDisbursementRail(WebClient.create(momo.baseUrl()), "sub-key", "user", "key", "sandbox",
        (operator, ref) -> "http://127.0.0.1:1/v1/callbacks/mtn-momo/t", Clock.systemUTC(), false);
  }

  @AfterEach
  void stop() {
    momo.stop();
  }

  @Test
  void aTransferIsPendingUnderAReferenceDerivedFromThePayoutId() {
    momo.stubFor(post(urlPathEqualTo(MtnMomoDisbursementRail.TRANSFER_PATH)).willReturn(aResponse().withStatus(202)));
    rail.send(new PayoutRequest("po_1", new Money(1_500, CurrencyUnit.UGX), "+256770000000", null))
        .as(StepVerifier::create).expectNext(new PayoutOutcome.Pending("mtn_momo", REF)).verifyComplete();
    var sent = momo.findAll(postRequestedFor(urlPathEqualTo(MtnMomoDisbursementRail.TRANSFER_PATH))).getFirst();
    assertThat(sent.getHeader("X-Reference-Id")).isEqualTo(REF);
    assertThat(sent.getHeader("Ocp-Apim-Subscription-Key")).isEqualTo("sub-key");
    assertThat(sent.getHeader("X-Callback-Url")).endsWith("/v1/callbacks/mtn-momo/t/disbursement?ref=po_1");
    JsonNode body = JsonMapper.builder().build().readTree(sent.getBodyAsString());
    assertThat(body.get("amount").asString()).as("a string of major units").isEqualTo("1500");
    assertThat(body.get("payee").get("partyId").asString()).isEqualTo("256770000000");
    assertThat(body.get("externalId").asString()).isEqualTo("po_1");
  }

  @Test
  void aSecondSendIsAConflictThatStaysPendingAndAnInternalErrorIsUnknown() {
    momo.stubFor(post(urlPathEqualTo(MtnMomoDisbursementRail.TRANSFER_PATH)).willReturn(aResponse().withStatus(409)
        .withBody("{\"code\":\"RESOURCE_ALREADY_EXIST\"}")));
    rail.send(new PayoutRequest("po_1", new Money(1_500, CurrencyUnit.UGX), "+256770000000", null))
        .as(StepVerifier::create).expectNextMatches(PayoutOutcome.Pending.class::isInstance).expectComplete().verify(VERIFY);
    momo.stubFor(post(urlPathEqualTo(MtnMomoDisbursementRail.TRANSFER_PATH)).willReturn(aResponse().withStatus(500)
        .withBody("{\"code\":\"INTERNAL_PROCESSING_ERROR\"}")));
    rail.send(new PayoutRequest("po_1", new Money(1_500, CurrencyUnit.UGX), "+256770000000", null))
        .as(StepVerifier::create).expectNextMatches(PayoutOutcome.Unknown.class::isInstance).expectComplete().verify(VERIFY);
    momo.stubFor(post(urlPathEqualTo(MtnMomoDisbursementRail.TRANSFER_PATH)).willReturn(aResponse().withStatus(400)
        .withBody("{\"code\":\"VALIDATION_ERROR\"}")));
    rail.send(new PayoutRequest("po_1", new Money(1_500, CurrencyUnit.UGX), "+256770000000", null))
        .as(StepVerifier::create).expectNextMatches(PayoutOutcome.NotAttempted.class::isInstance).expectComplete().verify(VERIFY);
  }

  @Test
  void theStatusSettlesThePayout() {
    momo.stubFor(get(urlPathEqualTo(MtnMomoDisbursementRail.TRANSFER_PATH + "/" + REF))
        .willReturn(okJson("{\"status\":\"SUCCESSFUL\",\"financialTransactionId\":\"123\"}")));
    rail.query("po_1", null).as(StepVerifier::create)
        .expectNext(new PayoutOutcome.Paid("mtn_momo", REF, "123")).verifyComplete();
    momo.stubFor(get(urlPathEqualTo(MtnMomoDisbursementRail.TRANSFER_PATH + "/" + REF))
        .willReturn(okJson("{\"status\":\"FAILED\",\"reason\":\"PAYEE_NOT_FOUND\"}")));
    rail.query("po_1", null).as(StepVerifier::create)
        .expectNextMatches(o -> o instanceof PayoutOutcome.Failed f && f.failureCode().equals("recipient_invalid"))
        .verifyComplete();
    momo.stubFor(get(urlPathEqualTo(MtnMomoDisbursementRail.TRANSFER_PATH + "/" + REF))
        .willReturn(aResponse().withStatus(404).withBody("{\"code\":\"RESOURCE_NOT_FOUND\"}")));
    rail.query("po_1", null).as(StepVerifier::create)
        .expectNextMatches(PayoutOutcome.NotFound.class::isInstance).verifyComplete();
  }

  @Test
  void aRefundReadsItsStatusAfterTheRequest() {
    String refundRef = MtnMomoRail.referenceId("ref_1");
    momo.stubFor(post(urlPathEqualTo(MtnMomoDisbursementRail.REFUND_PATH)).willReturn(aResponse().withStatus(202)));
    momo.stubFor(get(urlPathEqualTo(MtnMomoDisbursementRail.REFUND_PATH + "/" + refundRef))
        .willReturn(okJson("{\"status\":\"SUCCESSFUL\",\"financialTransactionId\":\"77\"}")));
    rail.refund(new RefundRequest("ref_1", "pay_1", "rtp-ref", new Money(1_000, CurrencyUnit.UGX)))
        .as(StepVerifier::create).expectNext(new RefundOutcome.Refunded("mtn_momo", "77")).verifyComplete();
    JsonNode body = JsonMapper.builder().build().readTree(
        momo.findAll(postRequestedFor(urlPathEqualTo(MtnMomoDisbursementRail.REFUND_PATH))).getFirst().getBodyAsString());
    assertThat(body.get("referenceIdToRefund").asString()).isEqualTo("rtp-ref");
  }
}
