package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.BodyInserters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * 3-D Secure end to end over HTTP (issue 20, docs/adr/0083-three-d-secure.md): the {@code
 * requires_action} answer with its {@code next_action}, the sandbox access control server's page
 * and signed result, and every way out: complete, fail, the always-failing card, forged and
 * replayed results, a duplicate result, the timeout, cancel, and a client that hangs up.
 */
class ThreeDSecureIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  static final String CHALLENGED = "4000000000003220";
  static final String ALWAYS_FAILS = "4000000000003063";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired ThreeDSecure threeDSecure;
  @Autowired CardTokens cards;
  @Autowired PaymentRepository payments;
  @Autowired org.malipo.gateway.sandbox.SandboxServer sandbox;
  @org.springframework.boot.test.web.server.LocalServerPort int port;

  @org.junit.jupiter.api.AfterEach
  void clearFaults() {
    sandbox.faults().clear();
  }

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
  }

  private JsonNode pay(String card, String captureMethod, String returnUrl) {
    String extra = returnUrl == null ? "" : ", \"return_url\": \"" + returnUrl + "\"";
    byte[] body = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 5000, "currency": "KES", "capture_method": "%s", "payment_method": {"type": "card",
             "number": "%s", "exp_month": 12, "exp_year": 2030, "cvc": "123"}%s}""".formatted(captureMethod, card, extra))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(body);
  }

  private JsonNode get(String id) {
    return json.readTree(web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
  }

  /** Presses a button on the ACS page: the ACS's 303 to the gateway's callback with the signed result. */
  private URI press(String id, String result) {
    return web.post().uri("/sandbox/acs/" + id).contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .body(BodyInserters.fromFormData("result", result))
        .exchange().expectStatus().isSeeOther().returnResult(Void.class).getResponseHeaders().getLocation();
  }

  /** Follows the ACS's redirect to the gateway: the 303 to the return_url. */
  private URI follow(URI callback) {
    return web.get().uri(callback.toString()).exchange().expectStatus().isSeeOther()
        .returnResult(Void.class).getResponseHeaders().getLocation();
  }

  private void eventuallySucceeded(String id) {
    long deadline = System.nanoTime() + DB.toNanos();
    while (!"succeeded".equals(get(id).get("status").asString())) {
      assertThat(System.nanoTime()).as("payment " + id + " succeeded in time").isLessThan(deadline);
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  private List<String> events(String paymentId) {
    return db.sql("SELECT type FROM outbox WHERE aggregate_id = :id ORDER BY sequence")
        .bind("id", paymentId).map(row -> row.get(0, String.class)).all().collectList().block(DB);
  }

  private long attempts(String paymentId) {
    return db.sql("SELECT count(*) FROM payment_attempts WHERE payment_id = :id").bind("id", paymentId)
        .map(row -> row.get(0, Long.class)).one().block(DB);
  }

  @Test
  void aChallengedCardAnswersRequiresActionWithItsNextActionAndNoRailCall() {
    JsonNode payment = pay(CHALLENGED, "automatic", "https://shop.example/return?order=7");
    String id = payment.get("id").asString();
    assertThat(payment.get("status").asString()).isEqualTo("requires_action");
    JsonNode next = payment.get("next_action");
    assertThat(next.get("type").asString()).isEqualTo("redirect_to_url");
    assertThat(next.get("redirect_to_url").get("url").asString()).isEqualTo("/sandbox/acs/" + id);
    assertThat(next.get("redirect_to_url").get("return_url").asString()).isEqualTo("https://shop.example/return?order=7");
    assertThat(payment.get("attempts").asInt()).isZero();
    assertThat(attempts(id)).isZero();
    assertThat(events(id)).containsExactly("payment.created", "payment.requires_action");
    assertThat(get(id).get("next_action")).isNotNull();
    // The card is nowhere in the database: only the masked card.
    Long clear = db.sql("SELECT count(*) FROM payments WHERE id = :id AND row_to_json(payments)::text LIKE '%4000000000003220%'")
        .bind("id", id).map(row -> row.get(0, Long.class)).one().block(DB);
    assertThat(clear).isZero();
    // The ACS page: two buttons, its CSP, no script.
    String html = web.get().uri(next.get("redirect_to_url").get("url").asString()).exchange().expectStatus().isOk()
        .expectHeader().valueEquals("Content-Security-Policy", org.malipo.gateway.web.PageAssets.CONTENT_SECURITY_POLICY)
        .expectBody(String.class).returnResult().getResponseBody();
    assertThat(html).contains("Complete authentication", "Fail authentication").doesNotContain("<script");
  }

  @Test
  void completeAuthenticationAuthorizesAndCapturesThenReturnsToTheMerchant() {
    String id = pay(CHALLENGED, "automatic", "https://shop.example/return").get("id").asString();
    URI back = follow(press(id, "authenticated"));
    assertThat(back.toString()).isEqualTo("https://shop.example/return");
    JsonNode done = get(id);
    assertThat(done.get("status").asString()).isEqualTo("succeeded");
    assertThat(done.has("next_action")).isFalse();
    assertThat(done.get("attempts").asInt()).isEqualTo(1);
    assertThat(events(id)).containsExactly("payment.created", "payment.requires_action", "payment.succeeded");
    assertThat(cards.heldForAuthentication(id).blockOptional(DB)).as("the card is forgotten").isEmpty();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void completeAuthenticationWithManualCaptureHoldsTheAuthorization() {
    String id = pay(CHALLENGED, "manual", null).get("id").asString();
    URI back = follow(press(id, "authenticated"));
    assertThat(back.toString()).isEqualTo("/three_d_secure/" + id + "/result");
    assertThat(get(id).get("status").asString()).isEqualTo("requires_capture");
    String page = web.get().uri(back.toString()).exchange().expectStatus().isOk().expectBody(String.class)
        .returnResult().getResponseBody();
    assertThat(page).contains("requires_capture");
    LedgerAudit.assertHolds(db, merchant.merchantId());
    LedgerAudit.assertAuthorizationHolds(db, merchant.merchantId());
  }

  @Test
  void failAuthenticationFailsThePaymentWithoutARailCall() {
    String id = pay(CHALLENGED, "automatic", null).get("id").asString();
    follow(press(id, "failed"));
    JsonNode failed = get(id);
    assertThat(failed.get("status").asString()).isEqualTo("failed");
    assertThat(failed.get("failure").get("code").asString()).isEqualTo("authentication_failed");
    assertThat(attempts(id)).isZero();
    assertThat(events(id)).containsExactly("payment.created", "payment.requires_action", "payment.failed");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void theAlwaysFailingCardFailsEvenWhenCompleteIsPressed() {
    JsonNode payment = pay(ALWAYS_FAILS, "automatic", null);
    assertThat(payment.get("status").asString()).isEqualTo("requires_action");
    String id = payment.get("id").asString();
    follow(press(id, "authenticated"));
    assertThat(get(id).get("failure").get("code").asString()).isEqualTo("authentication_failed");
    assertThat(attempts(id)).isZero();
  }

  @Test
  void aForgedResultIsRefusedAndChangesNothing() {
    String id = pay(CHALLENGED, "automatic", null).get("id").asString();
    String genuine = press(id, "failed").getQuery().substring("result=".length());
    // Same header and signature, claims turned to "authenticated": the signature no longer matches.
    String[] parts = genuine.split("\\.");
    String claims = new String(java.util.Base64.getUrlDecoder().decode(parts[1])).replace("\"failed\"", "\"authenticated\"");
    String forged = parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(claims.getBytes())
        + "." + parts[2];
    web.get().uri(u -> u.path("/three_d_secure/callback").queryParam("result", forged).build()).exchange()
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("authentication_result_invalid");
    // Signed with another key, and not a JWS at all.
    String otherKey = otherKeyResult(id);
    web.get().uri(u -> u.path("/three_d_secure/callback").queryParam("result", otherKey).build()).exchange()
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("authentication_result_invalid");
    web.get().uri("/three_d_secure/callback?result=nonsense").exchange()
        .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("authentication_result_invalid");
    assertThat(get(id).get("status").asString()).isEqualTo("requires_action");
    assertThat(events(id)).containsExactly("payment.created", "payment.requires_action");
  }

  private static String otherKeyResult(String id) {
    try {
      com.nimbusds.jwt.SignedJWT jwt = new com.nimbusds.jwt.SignedJWT(
          new com.nimbusds.jose.JWSHeader(com.nimbusds.jose.JWSAlgorithm.HS256),
          new com.nimbusds.jwt.JWTClaimsSet.Builder().subject(id).claim("result", "authenticated").jwtID("3ds_x")
              .expirationTime(new java.util.Date(System.currentTimeMillis() + 60_000)).build());
      jwt.sign(new com.nimbusds.jose.crypto.MACSigner("an-attacker-key-of-thirty-two-bytes-at-least!".getBytes()));
      return jwt.serialize();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aReplayedResultIsRefusedAndADuplicateResultChangesNothing() {
    String id = pay(CHALLENGED, "automatic", null).get("id").asString();
    URI callback = press(id, "authenticated");
    follow(callback);
    assertThat(get(id).get("status").asString()).isEqualTo("succeeded");
    List<String> before = events(id);
    // The same signed result again: refused.
    web.get().uri(callback.toString()).exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("authentication_result_invalid");
    // A fresh, genuine result after the payment moved on (the customer pressed "Fail" in another
    // tab): nothing changes, the browser still goes back.
    String late = threeDSecure.signResult(id, false);
    web.get().uri(u -> u.path("/three_d_secure/callback").queryParam("result", late).build()).exchange()
        .expectStatus().isSeeOther();
    assertThat(get(id).get("status").asString()).isEqualTo("succeeded");
    assertThat(events(id)).isEqualTo(before);
    assertThat(attempts(id)).isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void twoResultsAtOnceAuthorizeOnce() {
    String id = pay(CHALLENGED, "automatic", null).get("id").asString();
    String first = threeDSecure.signResult(id, true);
    String second = threeDSecure.signResult(id, true);
    reactor.core.publisher.Flux.just(first, second)
        .flatMap(token -> threeDSecure.accept(token).onErrorResume(error -> reactor.core.publisher.Mono.empty()))
        .blockLast(DB);
    eventuallySucceeded(id);
    assertThat(attempts(id)).isEqualTo(1);
    assertThat(events(id)).containsExactly("payment.created", "payment.requires_action", "payment.succeeded");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void noResultInTimeFailsWithAuthenticationTimeout() {
    String id = pay(CHALLENGED, "automatic", null).get("id").asString();
    // Past malipo.payments.authentication-timeout (10 minutes).
    db.sql("UPDATE payments SET updated_at = now() - interval '11 minutes' WHERE id = :id").bind("id", id).then().block(DB);
    // The test profile's reconciler (every 200 ms) may expire it first: either pass counts, the
    // status below is what must hold.
    threeDSecure.expireAuthentications(100).block(DB);
    JsonNode payment = get(id);
    assertThat(payment.get("status").asString()).isEqualTo("failed");
    assertThat(payment.get("failure").get("code").asString()).isEqualTo("authentication_timeout");
    assertThat(cards.heldForAuthentication(id).blockOptional(DB)).isEmpty();
    // A result arriving now changes nothing.
    String late = threeDSecure.signResult(id, true);
    web.get().uri(u -> u.path("/three_d_secure/callback").queryParam("result", late).build()).exchange()
        .expectStatus().isSeeOther();
    assertThat(get(id).get("failure").get("code").asString()).isEqualTo("authentication_timeout");
    assertThat(attempts(id)).isZero();
    // A fresh one is not touched.
    String fresh = pay(CHALLENGED, "automatic", null).get("id").asString();
    threeDSecure.expireAuthentications(100).block(DB);
    assertThat(get(fresh).get("status").asString()).isEqualTo("requires_action");
  }

  @Test
  void cancelWhileRequiresActionCancelsAndALaterResultChangesNothing() {
    String id = pay(CHALLENGED, "automatic", null).get("id").asString();
    URI callback = press(id, "authenticated");
    byte[] canceled = web.post().uri("/v1/payments/" + id + "/cancel").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{}").exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody();
    assertThat(json.readTree(canceled).get("status").asString()).isEqualTo("canceled");
    assertThat(cards.heldForAuthentication(id).blockOptional(DB)).as("the card is forgotten").isEmpty();
    follow(callback);
    assertThat(get(id).get("status").asString()).isEqualTo("canceled");
    assertThat(attempts(id)).isZero();
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aBrowserThatHangsUpAfterTheResultStillGetsThePaymentAuthorized() {
    String id = pay(CHALLENGED, "automatic", null).get("id").asString();
    String token = threeDSecure.signResult(id, true);
    // The browser goes away as soon as the callback is sent: the authorization runs on, detached.
    threeDSecure.accept(token).timeout(Duration.ofMillis(1), reactor.core.publisher.Mono.empty()).block(DB);
    eventuallySucceeded(id);
    assertThat(attempts(id)).isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aBrowserThatClosesItsConnectionDuringTheAuthorizationLeavesItRunningToSucceeded() {
    String id = pay(CHALLENGED, "automatic", null).get("id").asString();
    URI callback = press(id, "authenticated");
    org.malipo.gateway.sandbox.SandboxFaults.Fault slow =
        new org.malipo.gateway.sandbox.SandboxFaults.Fault(Duration.ofMillis(1_500), false);
    sandbox.faults().set("acquirer_a", slow);
    sandbox.faults().set("acquirer_b", slow);
    // The phone loses its connection 300 ms after it sent the bank's result.
    org.springframework.web.reactive.function.client.WebClient impatient =
        org.springframework.web.reactive.function.client.WebClient.builder().baseUrl("http://127.0.0.1:" + port)
            .clientConnector(new org.springframework.http.client.reactive.ReactorClientHttpConnector(
                reactor.netty.http.client.HttpClient.create().responseTimeout(Duration.ofMillis(300))))
            .build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> impatient.get().uri(callback.toString()).retrieve()
            .toBodilessEntity().block(Duration.ofSeconds(5)))
        .as("the browser hung up before the answer").isNotNull();

    eventuallySucceeded(id);
    assertThat(attempts(id)).isEqualTo(1);
    assertThat(events(id)).containsExactly("payment.created", "payment.requires_action", "payment.succeeded");
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aCancelRacingTheResultLetsExactlyOneWin() {
    for (int round = 0; round < 5; round++) {
      String id = pay(CHALLENGED, "automatic", null).get("id").asString();
      String token = threeDSecure.signResult(id, true);
      reactor.core.publisher.Mono<Object> result = threeDSecure.accept(token).map(p -> (Object) p)
          .onErrorResume(error -> reactor.core.publisher.Mono.empty());
      reactor.core.publisher.Mono<Object> cancel = reactor.core.publisher.Mono.fromCallable(() -> (Object) web.post()
              .uri("/v1/payments/" + id + "/cancel").headers(h -> h.setBearerAuth(merchant.token()))
              .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
              .bodyValue("{}").exchange().returnResult(String.class).getStatus().value())
          .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic());
      reactor.core.publisher.Flux.merge(result, cancel).blockLast(DB);
      long deadline = System.nanoTime() + DB.toNanos();
      String status = get(id).get("status").asString();
      while (status.equals("processing") && System.nanoTime() < deadline) {
        status = get(id).get("status").asString();
      }
      assertThat(status).as("round " + round).isIn("succeeded", "canceled");
      List<String> events = events(id);
      assertThat(events.stream().filter(e -> e.equals("payment.succeeded") || e.equals("payment.canceled")).count())
          .as("one final move: " + events).isEqualTo(1);
      assertThat(attempts(id)).isEqualTo(status.equals("succeeded") ? 1 : 0);
    }
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aClientThatHangsUpAfterRequiresActionFindsThePaymentWaitingAndItsKeyReplays() {
    String key = UUID.randomUUID().toString();
    String body = """
        {"amount": 5000, "currency": "KES", "payment_method": {"type": "card",
         "number": "4000000000003220", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""";
    JsonNode first = json.readTree(web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody());
    // The client lost the answer and retries with its key: the same requires_action payment, no second one.
    JsonNode again = json.readTree(web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody());
    assertThat(again.get("id").asString()).isEqualTo(first.get("id").asString());
    assertThat(again.get("status").asString()).isEqualTo("requires_action");
    Long count = db.sql("SELECT count(*) FROM payments WHERE merchant_id = :m").bind("m", merchant.merchantId())
        .map(row -> row.get(0, Long.class)).one().block(DB);
    assertThat(count).isEqualTo(1);
  }

  @Test
  void aCrashAfterTheAuthenticatedIntentLeavesOneAttemptAndALateResultStartsNoOther() {
    String id = pay(CHALLENGED, "automatic", null).get("id").asString();
    URI callback = press(id, "authenticated");
    // The process dies between the intent (requires_action → processing, attempt in_flight) and the
    // rail call: simulated by writing the intent alone.
    Payment waiting = payments.findById(id).block(DB);
    java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    Payment started = waiting.authenticated("acquirer_a", now);
    payments.startAuthenticatedAttempt(started, PaymentPipeline.attemptId(id, 1), now).block(DB);
    // The browser's result arrives after the restart: the payment is no longer requires_action, so
    // nothing is written and no second authorization starts; the in-flight attempt is the
    // reconciler's, as for any payment (docs/adr/0065).
    follow(callback);
    assertThat(get(id).get("status").asString()).isEqualTo("processing");
    assertThat(attempts(id)).isEqualTo(1);
    // The same intent cannot be written twice.
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> payments.startAuthenticatedAttempt(started, PaymentPipeline.attemptId(id, 1), now).block(DB))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aBadReturnUrlIsRefusedAndAnOrdinaryCardIsNotChallenged() {
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 5000, "currency": "KES", "return_url": "javascript:alert(1)", "payment_method": {"type": "card",
             "number": "4000000000003220", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange().expectStatus().isBadRequest().expectBody()
        .jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo("return_url");
    JsonNode plain = pay("4242424242424242", "automatic", "https://shop.example/return");
    assertThat(plain.get("status").asString()).isEqualTo("succeeded");
    assertThat(plain.has("next_action")).isFalse();
    web.get().uri("/sandbox/acs/" + plain.get("id").asString()).exchange().expectStatus().isNotFound();
  }
}
