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
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.AuthorizationOperation;
import org.malipo.gateway.rail.AuthorizationOperation.Kind;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.rail.OperationOutcome;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.ResilientRail;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The card adapter's second messages on a held authorization against a WireMock acquirer
 * (issue 20): an authorization held with {@code capture: false}, completions (capture) and
 * reversals (void) with ISO 8583 response codes — approve, decline, 5xx, timeout for each — and
 * the status query that settles one whose answer was lost, without sending it again.
 */
class CardRailCaptureTests {

  private static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(5);
  private static final String RAIL = "acquirer_a";
  private static final String API_KEY = "wiremock-acquirer-key";

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

  @Test
  void aManualAuthorizationAsksTheAcquirerToHoldIt() {
    acquirer.stubFor(post(urlEqualTo("/" + RAIL + "/v1/authorizations")).willReturn(okJson("""
        {"authorization_id":"auth_1","response_code":"00","approval_code":"A1B2C3"}""")));
    RailRequest request = new RailRequest(Ids.next("pay"), Ids.next("att"), "mer_test", new Money(10_000, CurrencyUnit.KES),
        new CardData("4242424242424242", 12, 2030, "123"), null, true);

    adapter().authorize(request).as(StepVerifier::create)
        .expectNext(new RailOutcome.Approved(RAIL, "auth_1", "00")).expectComplete().verify(VERIFY_TIMEOUT);

    JsonNode body = json.readTree(acquirer.findAll(postRequestedFor(urlEqualTo("/" + RAIL + "/v1/authorizations")))
        .getFirst().getBodyAsString());
    assertThat(body.get("capture").isBoolean()).isTrue();
    assertThat(body.get("capture").asBoolean()).isFalse();
    assertThat(adapter().supportsManualCapture()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void approvesAndSendsTheAmountInMinorUnitsWithTheOperationIdAsIdempotencyKey(Kind kind) {
    answer(kind, okJson("{\"%s\":\"x_1\",\"response_code\":\"00\"}".formatted(idField(kind))));
    AuthorizationOperation operation = operation(kind, 6_000);

    adapter().operate(operation).as(StepVerifier::create)
        .expectNext(new OperationOutcome.Done(RAIL, "x_1", "00")).expectComplete().verify(VERIFY_TIMEOUT);

    LoggedRequest sent = onlyPost(kind);
    assertThat(sent.getHeader("Idempotency-Key")).isEqualTo(operation.operationId());
    assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
    JsonNode body = json.readTree(sent.getBodyAsString());
    assertThat(body.get("amount").isIntegralNumber()).isTrue();
    assertThat(body.get("amount").asLong()).isEqualTo(6_000);
    assertThat(body.get("currency").asString()).isEqualTo("404");
    assertThat(body.propertyNames()).containsExactlyInAnyOrder("amount", "currency");
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aDecliningResponseCodeIsARefusal(Kind kind) {
    answer(kind, okJson("{\"response_code\":\"05\"}"));
    adapter().operate(operation(kind, 6_000)).as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(OperationOutcome.Refused.class,
            refused -> assertThat(refused.responseCode()).isEqualTo("05")))
        .expectComplete().verify(VERIFY_TIMEOUT);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void invalidTransactionMeansNothingWasApplied(Kind kind) {
    answer(kind, okJson("{\"response_code\":\"12\"}"));
    adapter().operate(operation(kind, 6_000)).as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOf(OperationOutcome.NotAttempted.class))
        .expectComplete().verify(VERIFY_TIMEOUT);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aDocumentedNotProcessed5xxIsNotAttemptedAndAnUndocumentedOneIsUnknown(Kind kind) {
    answer(kind, aResponse().withStatus(500).withHeader("Content-Type", "application/json")
        .withBody("{\"error\":\"system_malfunction\",\"response_code\":\"96\"}"));
    adapter().operate(operation(kind, 6_000)).as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOf(OperationOutcome.NotAttempted.class))
        .expectComplete().verify(VERIFY_TIMEOUT);

    acquirer.resetAll();
    answer(kind, aResponse().withStatus(502).withBody("<html>bad gateway</html>"));
    adapter().operate(operation(kind, 6_000)).as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOf(OperationOutcome.Unknown.class))
        .expectComplete().verify(VERIFY_TIMEOUT);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void anAnswerAfterTheTimeoutIsUnknownAndTheStatusQuerySettlesItWithoutSendingAgain(Kind kind) {
    answer(kind, okJson("{\"%s\":\"x_9\",\"response_code\":\"00\"}".formatted(idField(kind))).withFixedDelay(2_000));
    AuthorizationOperation operation = operation(kind, 6_000);
    ResilientRail rail = ResilientRail.of(adapter(Map.of("timeout", "300ms")), cardRails.limits(RAIL));

    rail.operate(operation).as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(OperationOutcome.Unknown.class,
            unknown -> assertThat(unknown.reason()).startsWith("timeout")))
        .expectComplete().verify(VERIFY_TIMEOUT);

    String lookup = "/" + RAIL + "/v1/" + pathOf(kind) + "/by-idempotency-key/" + operation.operationId();
    acquirer.stubFor(get(urlEqualTo(lookup)).willReturn(okJson(
        "{\"%s\":\"x_9\",\"response_code\":\"00\"}".formatted(idField(kind)))));
    rail.queryOperation(operation).as(StepVerifier::create)
        .expectNext(new OperationOutcome.Done(RAIL, "x_9", "00")).expectComplete().verify(VERIFY_TIMEOUT);
    assertThat(acquirer.findAll(postRequestedFor(urlEqualTo(operationPath(kind))))).as("sent once").hasSize(1);
    assertThat(acquirer.findAll(getRequestedFor(urlEqualTo(lookup)))).hasSize(1);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void theStatusQueryOfAKeyNeverProcessedIsNotAttempted(Kind kind) {
    AuthorizationOperation operation = operation(kind, 6_000);
    acquirer.stubFor(get(urlEqualTo("/" + RAIL + "/v1/" + pathOf(kind) + "/by-idempotency-key/" + operation.operationId()))
        .willReturn(aResponse().withStatus(404).withHeader("Content-Type", "application/json")
            .withBody("{\"error\":\"unknown_idempotency_key\",\"response_code\":\"25\"}")));
    adapter().queryOperation(operation).as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOf(OperationOutcome.NotAttempted.class))
        .expectComplete().verify(VERIFY_TIMEOUT);
    // A 404 from anything but the acquirer's look-up proves nothing.
    acquirer.resetAll();
    acquirer.stubFor(get(urlEqualTo("/" + RAIL + "/v1/" + pathOf(kind) + "/by-idempotency-key/" + operation.operationId()))
        .willReturn(aResponse().withStatus(404)));
    adapter().queryOperation(operation).as(StepVerifier::create)
        .assertNext(outcome -> assertThat(outcome).isInstanceOf(OperationOutcome.Unknown.class))
        .expectComplete().verify(VERIFY_TIMEOUT);
  }

  private static String idField(Kind kind) {
    return kind == Kind.CAPTURE ? "completion_id" : "reversal_id";
  }

  private static String pathOf(Kind kind) {
    return kind == Kind.CAPTURE ? "completions" : "reversals";
  }

  private static String operationPath(Kind kind) {
    return "/" + RAIL + "/v1/authorizations/auth_1/" + pathOf(kind);
  }

  private static AuthorizationOperation operation(Kind kind, long amount) {
    return new AuthorizationOperation(Ids.next(kind == Kind.CAPTURE ? "cap" : "void"), Ids.next("pay"), kind, "auth_1",
        new Money(amount, CurrencyUnit.KES));
  }

  private void answer(Kind kind, ResponseDefinitionBuilder response) {
    acquirer.stubFor(post(urlEqualTo(operationPath(kind))).withHeader("Authorization", equalTo("Bearer " + API_KEY))
        .willReturn(response));
  }

  private LoggedRequest onlyPost(Kind kind) {
    List<LoggedRequest> requests = acquirer.findAll(postRequestedFor(urlEqualTo(operationPath(kind))));
    assertThat(requests).hasSize(1);
    return requests.getFirst();
  }

  private RailAdapter adapter() {
    return adapter(Map.of());
  }

  private RailAdapter adapter(Map<String, String> settings) {
    if (cardRails != null) {
      cardRails.close();
    }
    cardRails = CardRails.create(WireMockAcquirer.properties(acquirer, RAIL, API_KEY, settings), null);
    return cardRails.adapters().getFirst();
  }
}
