package org.malipo.gateway.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailException;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.ResilientRail;
import org.malipo.gateway.rail.card.CardRailProperties;
import org.malipo.gateway.rail.card.CardRails;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The sandbox acquirer over HTTP (no Spring context): each test card's answer, Idempotency-Key
 * replay, authentication, validation and latency; and the card rail agreeing with it.
 */
class SandboxAcquirerTests {

  private static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(5);
  private static final String KEY = SandboxProperties.DEFAULT_ACQUIRER_API_KEY;

  private final JsonMapper json = JsonMapper.builder().build();
  private final WebClient http = WebClient.create();
  private SandboxServer sandbox;

  @BeforeEach
  void startSandbox() {
    sandbox = new SandboxServer(new SandboxProperties(true, 0, null, null, null, null, null));
  }

  @AfterEach
  void stopSandbox() {
    sandbox.close();
  }

  @Test
  void approvesTheSuccessCardWithIso8583Fields() {
    post("acquirer_a", KEY, Ids.next("att"), body("4242424242424242", 150_000, "404"))
        .as(StepVerifier::create)
        .assertNext(answer -> {
          assertThat(answer.status()).isEqualTo(200);
          assertThat(answer.body().get("response_code").asString()).isEqualTo("00");
          assertThat(answer.body().get("authorization_id").asString()).startsWith("auth_");
          assertThat(answer.body().get("approval_code").asString()).matches("[A-Z0-9]{6}");
          assertThat(answer.body().get("stan").asString()).matches("\\d{6}");
          assertThat(answer.body().get("rrn").asString()).matches("\\d{12}");
        })
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource({
      "4000000000000002, 05",
      "4000000000009995, 51",
      "4000000000000069, 54",
      "5555555555554444, 00",
      "4242424242424241, 14"})
  void answersEachTestCard(String pan, String responseCode) {
    post("acquirer_b", KEY, Ids.next("att"), body(pan, 2_500, "404"))
        .as(StepVerifier::create)
        .assertNext(answer -> {
          assertThat(answer.status()).isEqualTo(200);
          assertThat(answer.body().get("response_code").asString()).isEqualTo(responseCode);
          assertThat(answer.body().has("approval_code")).isEqualTo(responseCode.equals("00"));
          assertThat(answer.body().get("authorization_id").asString()).startsWith("auth_");
        })
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void answersSystemMalfunctionAsHttp500AndStoresNothing() {
    String idempotencyKey = Ids.next("att");
    ObjectNode request = body("4000000000000119", 2_500, "404");

    post("acquirer_a", KEY, idempotencyKey, request)
        .concatWith(post("acquirer_a", KEY, idempotencyKey, request))
        .as(StepVerifier::create)
        .expectNextMatches(answer -> answer.status() == 500
            && answer.body().get("error").asString().equals("system_malfunction")
            && answer.body().get("response_code").asString().equals("96")
            && !answer.body().has("authorization_id"))
        .expectNextMatches(answer -> answer.status() == 500)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void replaysTheStoredAnswerForTheSameIdempotencyKey() {
    String idempotencyKey = Ids.next("att");
    ObjectNode request = body("4242424242424242", 150_000, "404");

    Mono.zip(
            post("acquirer_a", KEY, idempotencyKey, request),
            post("acquirer_a", KEY, idempotencyKey, request),
            post("acquirer_a", KEY, Ids.next("att"), request))
        .as(StepVerifier::create)
        .assertNext(answers -> {
          assertThat(answers.getT2().body()).isEqualTo(answers.getT1().body());
          assertThat(answers.getT3().body().get("authorization_id"))
              .isNotEqualTo(answers.getT1().body().get("authorization_id"));
        })
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void scopesIdempotencyKeysToOneAcquirer() {
    String idempotencyKey = Ids.next("att");
    ObjectNode request = body("4242424242424242", 150_000, "404");

    Mono.zip(post("acquirer_a", KEY, idempotencyKey, request), post("acquirer_b", KEY, idempotencyKey, request))
        .as(StepVerifier::create)
        .assertNext(answers -> assertThat(answers.getT2().body().get("authorization_id"))
            .isNotEqualTo(answers.getT1().body().get("authorization_id")))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void refusesADifferentRequestUnderAUsedIdempotencyKey() {
    String idempotencyKey = Ids.next("att");

    post("acquirer_a", KEY, idempotencyKey, body("4242424242424242", 150_000, "404"))
        .then(post("acquirer_a", KEY, idempotencyKey, body("4242424242424242", 999, "404")))
        .as(StepVerifier::create)
        .assertNext(answer -> {
          assertThat(answer.status()).isEqualTo(422);
          assertThat(answer.body().get("error").asString()).isEqualTo("idempotency_key_reused");
        })
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void rejectsAWrongOrMissingApiKey() {
    ObjectNode request = body("4242424242424242", 150_000, "404");

    post("acquirer_a", "not-the-key", Ids.next("att"), request)
        .concatWith(post("acquirer_a", null, Ids.next("att"), request))
        .as(StepVerifier::create)
        .expectNextMatches(answer -> answer.status() == 401
            && answer.body().get("error").asString().equals("invalid_api_key"))
        .expectNextMatches(answer -> answer.status() == 401)
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void rejectsMalformedRequests() {
    ObjectNode amountAsString = body("4242424242424242", 1, "404").put("amount", "1500");
    ObjectNode alphabeticCurrency = body("4242424242424242", 1_500, "KES");
    ObjectNode zeroAmount = body("4242424242424242", 0, "404");
    ObjectNode unknownField = body("4242424242424242", 1_500, "404").put("amount_major", "15.00");

    post("acquirer_a", KEY, Ids.next("att"), amountAsString)
        .concatWith(post("acquirer_a", KEY, Ids.next("att"), alphabeticCurrency))
        .concatWith(post("acquirer_a", KEY, Ids.next("att"), zeroAmount))
        .concatWith(post("acquirer_a", KEY, Ids.next("att"), unknownField))
        .concatWith(post("acquirer_a", KEY, null, body("4242424242424242", 1_500, "404")))
        .map(answer -> answer.status() + " " + answer.body().get("error").asString())
        .as(StepVerifier::create)
        .expectNext("400 format_error", "400 format_error", "400 invalid_amount", "400 format_error",
            "400 idempotency_key_missing")
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void delaysEveryAnswerByTheConfiguredLatency() {
    Duration latency = Duration.ofMillis(200);
    try (SandboxServer slow = new SandboxServer(new SandboxProperties(true, 0, null, latency, null, null, null))) {
      post(slow, "acquirer_a", KEY, Ids.next("att"), body("4242424242424242", 150_000, "404"))
          .as(StepVerifier::create)
          .expectNextMatches(answer -> answer.status() == 200)
          .expectComplete()
          .verifyThenAssertThat(VERIFY_TIMEOUT)
          .tookMoreThan(latency);
    }
  }

  @Test
  void theCardRailAgreesWithTheSandbox() {
    try (CardRails rails = CardRails.create(new CardRailProperties(Map.of()), sandbox)) {
      RailAdapter adapter = rails.adapters().getFirst();

      authorize(adapter, "4242424242424242")
          .concatWith(authorize(adapter, "4000000000000002"))
          .concatWith(authorize(adapter, "4000000000009995"))
          .concatWith(authorize(adapter, "4000000000000069"))
          .as(StepVerifier::create)
          .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Approved.class,
              approved -> assertThat(approved.railReference()).startsWith("auth_")))
          .assertNext(outcome -> assertThat(failureCode(outcome)).isEqualTo("card_declined"))
          .assertNext(outcome -> assertThat(failureCode(outcome)).isEqualTo("insufficient_funds"))
          .assertNext(outcome -> assertThat(failureCode(outcome)).isEqualTo("expired_card"))
          .expectComplete()
          .verify(VERIFY_TIMEOUT);

      authorize(adapter, "4000000000000119")
          .as(StepVerifier::create)
          .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(RailException.class,
              e -> assertThat(e.surelyNotCharged()).isTrue()))
          .verify(VERIFY_TIMEOUT);

      authorize(ResilientRail.of(adapter, rails.limits(adapter.name())), "4000000000000119")
          .as(StepVerifier::create)
          .expectNextMatches(RailOutcome.NotAttempted.class::isInstance)
          .expectComplete()
          .verify(VERIFY_TIMEOUT);
    }
  }

  @Test
  void theCardRailHoldsCompletesAndReversesAuthorizationsOnTheSandbox() {
    try (CardRails rails = CardRails.create(new CardRailProperties(Map.of()), sandbox)) {
      RailAdapter adapter = rails.adapters().getFirst();
      String held = heldAuthorization(adapter, 10_000);
      org.malipo.gateway.rail.AuthorizationOperation capture = operation(held, org.malipo.gateway.rail.AuthorizationOperation.Kind.CAPTURE, 6_000);

      // Completion of 6,000: done; the same key replays it; a reversal afterwards changes nothing (12).
      org.malipo.gateway.rail.OperationOutcome done = adapter.operate(capture).block(VERIFY_TIMEOUT);
      assertThat(done).isInstanceOfSatisfying(org.malipo.gateway.rail.OperationOutcome.Done.class,
          d -> assertThat(d.railReference()).startsWith("cmp_"));
      assertThat(adapter.operate(capture).block(VERIFY_TIMEOUT)).isEqualTo(done);
      assertThat(adapter.queryOperation(capture).block(VERIFY_TIMEOUT)).isEqualTo(done);
      assertThat(adapter.operate(operation(held, org.malipo.gateway.rail.AuthorizationOperation.Kind.VOID, 10_000))
          .block(VERIFY_TIMEOUT)).isInstanceOf(org.malipo.gateway.rail.OperationOutcome.NotAttempted.class);

      // A reversal of another hold: done; a completion afterwards changes nothing; above the hold is refused.
      String other = heldAuthorization(adapter, 4_000);
      assertThat(adapter.operate(operation(other, org.malipo.gateway.rail.AuthorizationOperation.Kind.CAPTURE, 4_001))
          .block(VERIFY_TIMEOUT)).isInstanceOf(org.malipo.gateway.rail.OperationOutcome.NotAttempted.class);
      assertThat(adapter.operate(operation(other, org.malipo.gateway.rail.AuthorizationOperation.Kind.VOID, 4_000))
          .block(VERIFY_TIMEOUT)).isInstanceOfSatisfying(org.malipo.gateway.rail.OperationOutcome.Done.class,
              d -> assertThat(d.railReference()).startsWith("rev_"));
      assertThat(adapter.operate(operation(other, org.malipo.gateway.rail.AuthorizationOperation.Kind.CAPTURE, 100))
          .block(VERIFY_TIMEOUT)).isInstanceOf(org.malipo.gateway.rail.OperationOutcome.NotAttempted.class);

      // An operation never sent: the look-up fences its key, and the late request changes nothing.
      org.malipo.gateway.rail.AuthorizationOperation late = operation(heldAuthorization(adapter, 2_000),
          org.malipo.gateway.rail.AuthorizationOperation.Kind.CAPTURE, 2_000);
      assertThat(adapter.queryOperation(late).block(VERIFY_TIMEOUT))
          .isInstanceOf(org.malipo.gateway.rail.OperationOutcome.NotAttempted.class);
      assertThat(adapter.operate(late).block(VERIFY_TIMEOUT))
          .isInstanceOf(org.malipo.gateway.rail.OperationOutcome.Unknown.class); // 409 fenced: never "done"
    }
  }

  private static String heldAuthorization(RailAdapter adapter, long amount) {
    RailOutcome outcome = adapter.authorize(new RailRequest(Ids.next("pay"), Ids.next("att"), "mer_test",
        new Money(amount, CurrencyUnit.KES), new CardData("4242424242424242", 12, 2030, "123"), null, true))
        .block(VERIFY_TIMEOUT);
    assertThat(outcome).isInstanceOf(RailOutcome.Approved.class);
    return ((RailOutcome.Approved) outcome).railReference();
  }

  private static org.malipo.gateway.rail.AuthorizationOperation operation(String authorization,
      org.malipo.gateway.rail.AuthorizationOperation.Kind kind, long amount) {
    return new org.malipo.gateway.rail.AuthorizationOperation(Ids.next("op"), Ids.next("pay"), kind, authorization,
        new Money(amount, CurrencyUnit.KES));
  }

  @Test
  void theFaultSwitchAnswersTheDocumentedNotProcessedBodySoTheCardRailFailsOver() {
    sandbox.faults().set("acquirer_a", new SandboxFaults.Fault(Duration.ZERO, true));
    String idempotencyKey = Ids.next("att");

    post("acquirer_a", KEY, idempotencyKey, body("4242424242424242", 1_500, "404"))
        .as(StepVerifier::create)
        .assertNext(refused -> {
          assertThat(refused.status()).isEqualTo(503);
          assertThat(refused.body().get("error").asString()).isEqualTo("service_unavailable");
          assertThat(refused.body().get("response_code").asString()).isEqualTo("91");
        })
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    try (CardRails rails = CardRails.create(new CardRailProperties(Map.of()), sandbox)) {
      RailAdapter adapter = rails.adapters().getFirst();
      authorize(ResilientRail.of(adapter, rails.limits(adapter.name())), "4242424242424242")
          .as(StepVerifier::create)
          .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.NotAttempted.class,
              notAttempted -> assertThat(notAttempted.reason()).contains("503 service_unavailable (91)")))
          .expectComplete()
          .verify(VERIFY_TIMEOUT);
    }

    // Nothing was processed under the key: once the switch is off, it authorizes afresh.
    sandbox.faults().clear();
    post("acquirer_a", KEY, idempotencyKey, body("4242424242424242", 1_500, "404"))
        .as(StepVerifier::create)
        .assertNext(answer -> assertThat(answer.body().get("response_code").asString()).isEqualTo("00"))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void theStatusQueryFindsAnAuthorizationByItsIdempotencyKey() {
    String idempotencyKey = Ids.next("att");
    Answer authorized = post("acquirer_a", KEY, idempotencyKey, body("4242424242424242", 150_000, "404"))
        .block(VERIFY_TIMEOUT);

    lookup("acquirer_a", KEY, idempotencyKey)
        .as(StepVerifier::create)
        .assertNext(found -> {
          assertThat(found.status()).isEqualTo(200);
          assertThat(found.body()).isEqualTo(authorized.body());
        })
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    lookup("acquirer_a", "wrong-key", idempotencyKey)
        .as(StepVerifier::create)
        .assertNext(refused -> assertThat(refused.status()).isEqualTo(401))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void aStatusQueryOfAnUnusedKeyFencesItSoALateAuthorizationChargesNothing() {
    String idempotencyKey = Ids.next("att");

    lookup("acquirer_a", KEY, idempotencyKey)
        .as(StepVerifier::create)
        .assertNext(notFound -> {
          assertThat(notFound.status()).isEqualTo(404);
          assertThat(notFound.body().get("error").asString()).isEqualTo("unknown_idempotency_key");
        })
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    // The request that was lost on the way arrives after the query: refused, nothing authorized.
    post("acquirer_a", KEY, idempotencyKey, body("4242424242424242", 150_000, "404"))
        .as(StepVerifier::create)
        .assertNext(late -> {
          assertThat(late.status()).isEqualTo(409);
          assertThat(late.body().get("error").asString()).isEqualTo("idempotency_key_fenced");
        })
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
    lookup("acquirer_a", KEY, idempotencyKey)
        .as(StepVerifier::create)
        .assertNext(still -> assertThat(still.status()).isEqualTo(404))
        .expectComplete()
        .verify(VERIFY_TIMEOUT);
  }

  @Test
  void theCardRailsStatusQueryReadsTheSandboxAnswers() {
    try (CardRails rails = CardRails.create(new CardRailProperties(Map.of()), sandbox)) {
      RailAdapter adapter = rails.adapters().getFirst();
      String approved = Ids.next("att");
      String declined = Ids.next("att");
      post("acquirer_a", KEY, approved, body("4242424242424242", 150_000, "404")).block(VERIFY_TIMEOUT);
      post("acquirer_a", KEY, declined, body("4000000000009995", 150_000, "404")).block(VERIFY_TIMEOUT);

      adapter.queryStatus(approved)
          .concatWith(adapter.queryStatus(declined))
          .concatWith(adapter.queryStatus(Ids.next("att")))
          .as(StepVerifier::create)
          .assertNext(outcome -> assertThat(outcome).isInstanceOfSatisfying(RailOutcome.Approved.class,
              a -> assertThat(a.railReference()).startsWith("auth_")))
          .assertNext(outcome -> assertThat(failureCode(outcome)).isEqualTo("insufficient_funds"))
          .assertNext(outcome -> assertThat(outcome).isInstanceOf(RailOutcome.NotAttempted.class))
          .expectComplete()
          .verify(VERIFY_TIMEOUT);
    }
  }

  @Test
  void answersABurstOfConcurrentAuthorizationsThroughTheResilientRail() {
    try (CardRails rails = CardRails.create(new CardRailProperties(Map.of()), sandbox)) {
      RailAdapter adapter = rails.adapters().getFirst();
      RailAdapter rail = ResilientRail.of(adapter, rails.limits(adapter.name()));

      // 100 in flight at once, under the default bulkhead (200) and rate (1000 per second).
      Flux.range(0, 400)
          .flatMap(i -> authorize(rail, i % 2 == 0 ? "4242424242424242" : "4000000000000002"), 100)
          .collectList()
          .as(StepVerifier::create)
          .assertNext(outcomes -> {
            assertThat(outcomes).hasSize(400);
            assertThat(outcomes).filteredOn(RailOutcome.Approved.class::isInstance).hasSize(200);
            assertThat(outcomes).filteredOn(RailOutcome.Declined.class::isInstance).hasSize(200);
          })
          .expectComplete()
          .verify(Duration.ofSeconds(20));
    }
  }

  // --- fixtures -------------------------------------------------------------------------------

  private record Answer(int status, JsonNode body) {}

  private Mono<Answer> post(String acquirer, String apiKey, String idempotencyKey, ObjectNode body) {
    return post(sandbox, acquirer, apiKey, idempotencyKey, body);
  }

  private Mono<Answer> post(SandboxServer server, String acquirer, String apiKey, String idempotencyKey,
      ObjectNode body) {
    return http.post()
        .uri(server.baseUrl() + "/" + acquirer + "/v1/authorizations")
        .headers(headers -> {
          if (apiKey != null) {
            headers.setBearerAuth(apiKey);
          }
          if (idempotencyKey != null) {
            headers.set("Idempotency-Key", idempotencyKey);
          }
        })
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(json.writeValueAsBytes(body))
        .exchangeToMono(response -> response.bodyToMono(byte[].class)
            .map(bytes -> new Answer(response.statusCode().value(), json.readTree(bytes))));
  }

  private Mono<Answer> lookup(String acquirer, String apiKey, String idempotencyKey) {
    return http.get()
        .uri(sandbox.baseUrl() + "/" + acquirer + "/v1/authorizations/by-idempotency-key/" + idempotencyKey)
        .headers(headers -> headers.setBearerAuth(apiKey))
        .exchangeToMono(response -> response.bodyToMono(byte[].class)
            .map(bytes -> new Answer(response.statusCode().value(), json.readTree(bytes))));
  }

  private ObjectNode body(String pan, long amountMinor, String currency) {
    ObjectNode body = json.createObjectNode();
    body.put("merchant_reference", Ids.next("att"));
    body.put("amount", amountMinor);
    body.put("currency", currency);
    ObjectNode card = body.putObject("card");
    card.put("number", pan);
    card.put("exp_month", 12);
    card.put("exp_year", 2030);
    card.put("cvc", "123");
    return body;
  }

  private static Mono<RailOutcome> authorize(RailAdapter rail, String pan) {
    return rail.authorize(new RailRequest(Ids.next("pay"), Ids.next("att"), "mer_test",
        new Money(150_000, CurrencyUnit.KES), new CardData(pan, 12, 2030, "123"), null));
  }

  private static String failureCode(RailOutcome outcome) {
    assertThat(outcome).isInstanceOf(RailOutcome.Declined.class);
    return ((RailOutcome.Declined) outcome).failureCode();
  }
}
