package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
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
 * A seeded random workload of 3-D Secure payments (issue 20 item 5, INVARIANTS 5 and 6 as extended
 * by docs/adr/0082 and 0083), automatic and manual capture mixed: "Complete" and "Fail" pressed on
 * the sandbox access control server's page, the same signed result delivered twice, cancels, the
 * authentication timeout, then captures and voids of what was authorized, in any order, on any
 * payment, whatever its state. A model says what each step must do; after every step the ledger is
 * audited ({@link LedgerAudit#assertHolds}); at the end the holds account is back to zero and the
 * trial balance balanced. The seed is printed ({@code -Dmalipo.threeds.seed=…} replays it).
 */
class ThreeDSecureInterleavingsIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final int PAYMENTS = 6;
  private static final int STEPS = 30;
  private static final Set<String> FINAL = Set.of("succeeded", "failed", "canceled");

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired ThreeDSecure threeDSecure;

  /** What the model expects of one payment. */
  private static final class Model {
    final String id;
    final boolean manual;
    String status = "requires_action";
    URI lastResult;

    Model(String id, boolean manual) {
      this.id = id;
      this.manual = manual;
    }
  }

  @Test
  void randomAuthenticationsCancelsTimeoutsCapturesAndReplaysKeepEveryInvariant() {
    long seed = Long.getLong("malipo.threeds.seed", System.nanoTime());
    System.out.println("ThreeDSecureInterleavingsIntegrationTests seed " + seed);
    Random random = new Random(seed);
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    List<Model> models = new ArrayList<>();
    for (int i = 0; i < PAYMENTS; i++) {
      boolean manual = random.nextBoolean();
      JsonNode created = post(merchant, "/v1/payments", """
          {"amount": %d, "currency": "KES", "capture_method": "%s", "payment_method": {"type": "card",
           "number": "4000000000003220", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""
          .formatted(1_000 + random.nextInt(90) * 100, manual ? "manual" : "automatic"), 201);
      assertThat(created.get("status").asString()).as("seed %d", seed).isEqualTo("requires_action");
      models.add(new Model(created.get("id").asString(), manual));
    }

    for (int step = 0; step < STEPS; step++) {
      Model model = models.get(random.nextInt(models.size()));
      int action = random.nextInt(6);
      String context = "seed " + seed + " step " + step + " action " + action + " on " + model.id + " (" + model.status + ")";
      switch (action) {
        case 0, 1 -> { // the customer presses Complete (0) or Fail (1) on the challenge page
          boolean complete = action == 0;
          if (model.status.equals("requires_action")) {
            URI callback = press(model.id, complete ? "authenticated" : "failed");
            model.lastResult = callback;
            web.get().uri(callback.toString()).exchange().expectStatus().isSeeOther();
            model.status = complete ? (model.manual ? "requires_capture" : "succeeded") : "failed";
          } else {
            // The page has nothing to authenticate once the card is forgotten (a final or held payment).
            web.post().uri("/sandbox/acs/" + model.id).contentType(MediaType.APPLICATION_FORM_URLENCODED)
                .body(BodyInserters.fromFormData("result", complete ? "authenticated" : "failed"))
                .exchange().expectStatus().value(status -> assertThat(status).as(context).isIn(303, 404));
          }
        }
        case 2 -> { // the same signed result again (a browser's back button, a proxy's retry): changes nothing
          if (model.lastResult != null) {
            web.get().uri(model.lastResult.toString()).exchange().expectStatus().value(status ->
                assertThat(status).as(context).isIn(303, 400));
          }
        }
        case 3 -> { // cancel: a requires_action or requires_capture payment, else 409
          int expected = model.status.equals("requires_action") || model.status.equals("requires_capture") ? 200 : 409;
          post(merchant, "/v1/payments/" + model.id + "/cancel", "{}", expected);
          if (expected == 200) {
            model.status = "canceled";
          }
        }
        case 4 -> { // the authentication timeout passes for this payment
          db.sql("UPDATE payments SET updated_at = now() - interval '11 minutes' WHERE id = :id AND status = 'requires_action'")
              .bind("id", model.id).then().block(WAIT);
          threeDSecure.expireAuthentications(100).block(WAIT);
          if (model.status.equals("requires_action")) {
            model.status = "failed";
          }
        }
        default -> { // capture whatever is held, else 409
          int expected = model.status.equals("requires_capture") ? 200 : 409;
          post(merchant, "/v1/payments/" + model.id + "/capture", "{}", expected);
          if (expected == 200) {
            model.status = "succeeded";
          }
        }
      }
      assertThat(settled(merchant, model.id, model.status)).as(context).isEqualTo(model.status);
      LedgerAudit.assertHolds(db, merchant.merchantId());
    }

    for (Model model : models) {
      assertThat(settled(merchant, model.id, model.status)).as("seed %d %s", seed, model.id).isEqualTo(model.status);
      if (!FINAL.contains(model.status)) {
        post(merchant, "/v1/payments/" + model.id + "/cancel", "{}", 200);
      }
      assertThat(db.sql("SELECT count(*) FROM payment_attempts WHERE payment_id = :id").bind("id", model.id)
          .map(row -> row.get(0, Long.class)).one().block(WAIT)).as("seed %d %s: authorized at most once", seed, model.id)
          .isLessThanOrEqualTo(1L);
    }
    LedgerAudit.assertHolds(db, merchant.merchantId());
    assertThat(LedgerAudit.heldBalance(db, merchant.merchantId(), "KES")).as("seed %d: the holds account is back to zero", seed).isZero();
    assertThat(LedgerAudit.trialBalanceDifference(db)).as("seed %d: the trial balance is balanced", seed).isZero();
  }

  /** Presses a button on the challenge page: the ACS's 303 to the gateway's callback with the signed result. */
  private URI press(String id, String result) {
    return web.post().uri("/sandbox/acs/" + id).contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .body(BodyInserters.fromFormData("result", result))
        .exchange().expectStatus().isSeeOther().returnResult(Void.class).getResponseHeaders().getLocation();
  }

  private JsonNode post(TestMerchant merchant, String path, String body, int expectedStatus) {
    byte[] answer = web.post().uri(path).headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body).exchange().expectStatus().isEqualTo(expectedStatus).expectBody().returnResult().getResponseBody();
    return json.readTree(answer);
  }

  /**
   * The payment's status once it is {@code expected} or the wait is over: an accepted result is
   * applied detached from the browser's request, so its authorization may still be running.
   */
  private String settled(TestMerchant merchant, String id, String expected) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      String status = json.readTree(web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token()))
          .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody()).get("status").asString();
      if (status.equals(expected) || System.nanoTime() > deadline) {
        return status;
      }
      try {
        Thread.sleep(20); // JUnit thread, not an event loop
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
