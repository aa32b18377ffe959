package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.rail.AuthorizationOperation;
import org.malipo.gateway.rail.OperationOutcome;
import org.malipo.gateway.rail.RailRegistry;
import org.malipo.gateway.sandbox.SandboxFaults;
import org.malipo.gateway.sandbox.SandboxServer;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.LedgerAudit;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A capture or cancel is a durable process too (issue 20, ADR 0065 applied to the second
 * message): a client that hangs up while the acquirer is deciding does not stop it, and an
 * instance that dies between its two writes (intent committed, answer not recorded) leaves an
 * operation that the reconciler settles with the acquirer's status query, never sending it again.
 */
class CaptureInterruptionIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration FINAL = Duration.ofSeconds(30);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired SandboxServer sandbox;
  @Autowired IdempotencyStore idempotency;
  @Autowired OperationRepository operations;
  @Autowired PaymentCaptures captures;
  @Autowired RailRegistry rails;
  @LocalServerPort int port;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
  }

  @AfterEach
  void clearFaults() {
    sandbox.faults().clear();
  }

  private JsonNode authorize(long amount) {
    byte[] body = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": %d, "currency": "KES", "capture_method": "manual", "payment_method": {"type": "card",
             "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(amount))
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    JsonNode payment = json.readTree(body);
    assertThat(payment.get("status").asString()).isEqualTo("requires_capture");
    return payment;
  }

  @Test
  void aCaptureWhoseClientHungUpRunsToSucceededAndItsKeyReplaysIt() {
    hangUpDuring("capture", "{\"amount\": 600}", "succeeded");
  }

  @Test
  void aCancelWhoseClientHungUpRunsToCanceledAndItsKeyReplaysIt() {
    hangUpDuring("cancel", "{}", "canceled");
  }

  private void hangUpDuring(String action, String body, String finalStatus) {
    JsonNode held = authorize(1_000);
    String id = held.get("id").asString();
    SandboxFaults.Fault slow = new SandboxFaults.Fault(Duration.ofMillis(1_500), false);
    sandbox.faults().set(held.get("provider").asString(), slow);
    String key = UUID.randomUUID().toString();
    WebClient impatient = WebClient.builder().baseUrl("http://127.0.0.1:" + port)
        .clientConnector(new ReactorClientHttpConnector(HttpClient.create().responseTimeout(Duration.ofMillis(300))))
        .build();

    assertThatThrownBy(() -> impatient.post().uri("/v1/payments/" + id + "/" + action)
        .headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", key)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body).retrieve().bodyToMono(String.class)
        .block(Duration.ofSeconds(5)))
        .as("the client hung up before the answer").isNotNull();

    JsonNode payment = awaitStatus(id, finalStatus);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'hold_release'", id))
        .isEqualTo(1);
    assertThat(count("SELECT count(*) FROM payment_operations WHERE payment_id = :id", id)).as("sent once").isEqualTo(1);
    awaitKeyCompleted(key);
    web.post().uri("/v1/payments/" + id + "/" + action).headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
        .expectStatus().isOk().expectHeader().valueEquals("Idempotent-Replayed", "true")
        .expectBody().jsonPath("$.status").isEqualTo(finalStatus);
    assertThat(payment.get("status").asString()).isEqualTo(finalStatus);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aCaptureWhoseInstanceDiedAfterTheAcquirerAppliedItIsSettledByTheStatusQuery() {
    JsonNode held = authorize(10_000);
    String id = held.get("id").asString();
    String key = UUID.randomUUID().toString();
    OperationRepository.Stored intent = intent(held, AuthorizationOperation.Kind.CAPTURE, 6_000, key);
    // The completion reached the acquirer; the instance died before recording the answer.
    OperationOutcome applied = rails.byName(intent.rail()).orElseThrow().operate(intent.operation()).block(WAIT);
    assertThat(applied).isInstanceOf(OperationOutcome.Done.class);

    captures.reconcile(Duration.ZERO, Duration.ofSeconds(1), 50, 4).block(FINAL);

    JsonNode payment = awaitStatus(id, "succeeded");
    assertThat(payment.get("amount_captured").asLong()).isEqualTo(6_000);
    assertThat(count("SELECT count(*) FROM payment_operations WHERE payment_id = :id AND outcome = 'approved'"
        + " AND rail_reference = '" + ((OperationOutcome.Done) applied).railReference() + "'", id)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind IN ('capture', 'hold_release')",
        id)).isEqualTo(2);
    awaitKeyCompleted(key);
    web.post().uri("/v1/payments/" + id + "/capture").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue("{\"amount\": 6000}")
        .exchange().expectStatus().isOk().expectBody().jsonPath("$.amount_captured").isEqualTo(6000);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aVoidWhoseInstanceDiedBeforeSendingIsFencedAndTheHoldStaysUntilANewRequest() {
    JsonNode held = authorize(4_000);
    String id = held.get("id").asString();
    String key = UUID.randomUUID().toString();
    intent(held, AuthorizationOperation.Kind.VOID, 4_000, key);
    // Nothing was sent: the look-up finds nothing under the key and fences it.

    captures.reconcile(Duration.ZERO, Duration.ofSeconds(1), 50, 4).block(FINAL);

    assertThat(count("SELECT count(*) FROM payment_operations WHERE payment_id = :id AND outcome = 'not_processed'", id))
        .isEqualTo(1);
    assertThat(count("SELECT count(*) FROM payments WHERE id = :id AND status = 'requires_capture'", id)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'hold_release'", id)).isZero();
    web.post().uri("/v1/payments/" + id + "/cancel").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange()
        .expectStatus().isEqualTo(503).expectBody().jsonPath("$.code").isEqualTo("service_unavailable");
    web.post().uri("/v1/payments/" + id + "/cancel").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
        .exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("canceled");
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'hold_release'", id))
        .isEqualTo(1);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  @Test
  void aCaptureWhoseAnswerIsLostIsUnknownThenSettledByTheStatusQueryNeverSentTwice() {
    JsonNode held = authorize(8_000);
    String id = held.get("id").asString();
    // The acquirer applies the completion at once but answers after the rail's 5 s timeout.
    sandbox.faults().set(held.get("provider").asString(), new SandboxFaults.Fault(Duration.ofMillis(6_000), false));
    String key = UUID.randomUUID().toString();

    web.mutate().responseTimeout(Duration.ofSeconds(20)).build()
        .post().uri("/v1/payments/" + id + "/capture").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue("{\"amount\": 5000}")
        .exchange().expectStatus().isEqualTo(503)
        .expectBody().jsonPath("$.code").isEqualTo("service_unavailable").jsonPath("$.payment_id").isEqualTo(id);
    assertThat(count("SELECT count(*) FROM payment_operations WHERE payment_id = :id AND outcome = 'unknown'", id))
        .isEqualTo(1);
    sandbox.faults().clear();

    captures.reconcile(Duration.ZERO, Duration.ofSeconds(1), 50, 4).block(FINAL);

    JsonNode payment = awaitStatus(id, "succeeded");
    assertThat(payment.get("amount_captured").asLong()).isEqualTo(5_000);
    assertThat(count("SELECT count(*) FROM payment_operations WHERE payment_id = :id", id)).as("one operation").isEqualTo(1);
    assertThat(count("SELECT count(*) FROM payment_operations WHERE payment_id = :id AND outcome = 'approved'", id))
        .isEqualTo(1);
    awaitKeyCompleted(key);
    web.post().uri("/v1/payments/" + id + "/capture").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue("{\"amount\": 5000}")
        .exchange().expectStatus().isOk().expectBody().jsonPath("$.amount_captured").isEqualTo(5000);
    LedgerAudit.assertHolds(db, merchant.merchantId());
  }

  /** The first write of a capture or cancel, as the request commits it before calling the acquirer. */
  private OperationRepository.Stored intent(JsonNode held, AuthorizationOperation.Kind kind, long amount, String key) {
    String id = held.get("id").asString();
    String[] authorization = operations.authorizationOf(id).block(WAIT);
    Money money = new Money(amount, org.malipo.gateway.common.CurrencyUnit.KES);
    OperationRepository.Stored stored = new OperationRepository.Stored(new AuthorizationOperation(
        Ids.next(kind == AuthorizationOperation.Kind.CAPTURE ? "cap" : "void"), id, kind, authorization[1], money),
        authorization[0], merchant.merchantId(), null, key, 0);
    String path = "POST /v1/payments/" + id + "/" + (kind == AuthorizationOperation.Kind.CAPTURE ? "capture" : "cancel");
    String body = kind == AuthorizationOperation.Kind.CAPTURE ? "{\"amount\":" + amount + "}" : "{}";
    SingleStatement statement = new SingleStatement();
    idempotency.claimIn(statement, merchant.merchantId(), key, fingerprint(path, body), id);
    operations.intentIn(statement, IdempotencyStore.CLAIM, stored, Instant.now().truncatedTo(ChronoUnit.MICROS), null);
    statement.require("(SELECT count(*) FROM " + OperationRepository.INTENT + ") = 1", "intent not written");
    statement.execute(db).block(WAIT);
    return stored;
  }

  @Autowired org.malipo.gateway.common.KeyedHashes hashes;
  @Autowired org.malipo.gateway.api.StrictJson strictJson;

  private String fingerprint(String path, String body) {
    return hashes.of(path + "\n" + strictJson.canonical(strictJson.readObject(body.getBytes())));
  }

  private JsonNode awaitStatus(String id, String status) {
    long deadline = System.nanoTime() + FINAL.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode payment = web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token())).exchange()
          .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
      if (payment.get("status").asString().equals(status)) {
        return payment;
      }
      pause();
    }
    throw new AssertionError("payment " + id + " not " + status + " within " + FINAL);
  }

  private void awaitKeyCompleted(String key) {
    long deadline = System.nanoTime() + FINAL.toNanos();
    while (System.nanoTime() < deadline) {
      if (count("SELECT count(*) FROM idempotency_keys WHERE idempotency_key = :id AND state = 'completed'", key) == 1) {
        return;
      }
      pause();
    }
    throw new AssertionError("key " + key + " not completed");
  }

  private long count(String sql, String id) {
    return db.sql(sql).bind("id", id).map(row -> row.get(0, Long.class)).one().block(WAIT);
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
