package org.malipo.gateway.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.events.OutboxRelay;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.SecondInstance;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * The retention purge against the real schema: what goes, what must stay whatever its age (a key
 * whose payment is not final, each payment's latest event, open callbacks and deliveries), and two
 * instances purging at once. Rows are made old through their timestamps (and, for deliveries,
 * their time-ordered ids); each test starts its own job so the shared context's state is untouched.
 */
class RetentionIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(30);
  private static final Instant FORTY_DAYS_AGO = Instant.now().minus(Duration.ofDays(40));

  @Autowired DatabaseClient db;
  @Autowired OutboxRelay relay;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired ReactiveTransactionManager transactions;
  @Autowired MeterRegistry meters;

  private TestMerchant merchant;
  /** Rows this test made up; removed afterwards, so no other test of the shared database sees them. */
  private final List<Runnable> cleanUp = new ArrayList<>();

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
  }

  @AfterEach
  void removeMadeUpRows() {
    cleanUp.reversed().forEach(Runnable::run);
    cleanUp.clear();
  }

  private RetentionJob job(int batchSize) {
    return new RetentionJob(db, transactions,
        new RetentionProperties(true, null, batchSize, null, null, null, null, null), meters);
  }

  private long count(String sql, Map<String, Object> binds) {
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql);
    for (Map.Entry<String, Object> bind : binds.entrySet()) {
      spec = spec.bind(bind.getKey(), bind.getValue());
    }
    return spec.map(row -> row.get(0, Long.class)).one().block(DB);
  }

  private void run(String sql, Object... namesAndValues) {
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql);
    for (int i = 0; i < namesAndValues.length; i += 2) {
      spec = spec.bind((String) namesAndValues[i], namesAndValues[i + 1]);
    }
    spec.then().block(DB);
  }

  // --- idempotency keys ---

  private String payViaApi() {
    byte[] body = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 5000, "currency": "KES", "reference": "order-retention",
             "payment_method": {"type": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(body).get("id").asString();
  }

  private String refundViaApi(String paymentId) {
    byte[] body = web.post().uri("/v1/payments/" + paymentId + "/refunds").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 1000}")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(body).get("id").asString();
  }

  /** A payment row in {@code status} with its completed key, for states the API cannot hold still. */
  private String paymentWithKey(String status, String keyState, Duration expiredAgo) {
    String id = Ids.next("pay");
    String key = "key-" + id;
    // Status checks far in the future: the sweepers must leave this made-up payment alone.
    run("""
        INSERT INTO payments (id, merchant_id, idempotency_key, status, amount_minor, currency, method_type,
            updated_at, next_status_check_at)
        VALUES (:id, :merchant, :key, :status, 100, 'KES', 'card', now() + interval '1 day', now() + interval '10 years')""",
        "id", id, "merchant", merchant.merchantId(), "key", key, "status", status);
    cleanUp.add(() -> run("DELETE FROM payments WHERE id = :id", "id", id));
    cleanUp.add(() -> run("DELETE FROM idempotency_keys WHERE merchant_id = :m AND idempotency_key = :k",
        "m", merchant.merchantId(), "k", key));
    run("""
        INSERT INTO idempotency_keys (merchant_id, idempotency_key, fingerprint, state, resource_id, response_status,
            response_body, created_at, expires_at)
        VALUES (:merchant, :key, 'f', :state, :resource, 201, '{}', :expires - interval '24 hours', :expires)""",
        "merchant", merchant.merchantId(), "key", key, "state", keyState, "resource", id,
        "expires", Instant.now().minus(expiredAgo).atOffset(ZoneOffset.UTC));
    return key;
  }

  private void expireKeyOf(String resourceId, Duration ago) {
    run("UPDATE idempotency_keys SET expires_at = :expires, created_at = :expires - interval '24 hours' WHERE resource_id = :id",
        "expires", Instant.now().minus(ago).atOffset(ZoneOffset.UTC), "id", resourceId);
  }

  private boolean keyExists(String key) {
    return count("SELECT count(*) FROM idempotency_keys WHERE merchant_id = :merchant AND idempotency_key = :key",
        Map.of("merchant", merchant.merchantId(), "key", key)) == 1;
  }

  private boolean keyOfExists(String resourceId) {
    return count("SELECT count(*) FROM idempotency_keys WHERE resource_id = :id", Map.of("id", resourceId)) == 1;
  }

  @Test
  void deletesExpiredKeysOfFinalPaymentsAndRefundsButNeverOfUnfinishedOnes() {
    String succeeded = payViaApi();
    String refund = refundViaApi(succeeded);
    expireKeyOf(succeeded, Duration.ofDays(3));
    expireKeyOf(refund, Duration.ofDays(3));
    String failed = paymentWithKey("failed", "completed", Duration.ofDays(3));
    String pending = paymentWithKey("pending", "completed", Duration.ofDays(300));
    String processing = paymentWithKey("processing", "completed", Duration.ofDays(300));
    String inProgress = paymentWithKey("succeeded", "in_progress", Duration.ofDays(300));
    String recentlyExpired = paymentWithKey("succeeded", "completed", Duration.ofHours(2));

    job(1000).purgeIdempotencyKeys().block(DB);

    assertThat(keyOfExists(succeeded)).as("succeeded payment's key").isFalse();
    assertThat(keyOfExists(refund)).as("succeeded refund's key").isFalse();
    assertThat(keyExists(failed)).as("failed payment's key").isFalse();
    assertThat(keyExists(pending)).as("pending payment's key, whatever its age").isTrue();
    assertThat(keyExists(processing)).as("processing payment's key, whatever its age").isTrue();
    assertThat(keyExists(inProgress)).as("a key still in progress").isTrue();
    assertThat(keyExists(recentlyExpired)).as("expired less than idempotency-keys ago").isTrue();
    assertThat(count("SELECT count(*) FROM payments WHERE id = :id", Map.of("id", succeeded)))
        .as("the payment itself stays").isEqualTo(1);
  }

  // --- outbox ---

  private long outboxRow(String aggregate, long sequence, boolean published, Instant createdAt) {
    cleanUp.add(() -> run("DELETE FROM outbox WHERE aggregate_id = :a", "a", aggregate));
    return db.sql("""
            INSERT INTO outbox (event_id, aggregate_id, merchant_id, type, payload, created_at, published_at, sequence)
            VALUES (:event, :aggregate, :merchant, 'payment.created', '{}', :created, :published, :sequence)
            RETURNING id""")
        .bind("event", Ids.next("evt")).bind("aggregate", aggregate).bind("merchant", merchant.merchantId())
        .bind("created", createdAt.atOffset(ZoneOffset.UTC))
        .bind("published", published ? createdAt.atOffset(ZoneOffset.UTC) : FORTY_DAYS_AGO.atOffset(ZoneOffset.UTC))
        .bind("sequence", sequence)
        .map(row -> row.get("id", Long.class)).one().block(DB);
  }

  private List<Long> sequencesOf(String aggregate) {
    return db.sql("SELECT sequence FROM outbox WHERE aggregate_id = :a ORDER BY sequence").bind("a", aggregate)
        .map(row -> row.get("sequence", Long.class)).all().collectList().block(DB);
  }

  @Test
  void deletesOldPublishedEventsButKeepsEachPaymentsLatestSoItsSequenceGoesOn() throws InterruptedException {
    // The suite's relay would publish the made-up unpublished row (now, so it looks old and
    // published to the purge): it stays stopped for this test. A pass already running ends first.
    // So do the relays of the other gateways this JVM started (second instance, variants).
    List<OutboxRelay> relays = new ArrayList<>(List.of(relay));
    SecondInstance.running().forEach(gateway -> relays.add(gateway.getBean(OutboxRelay.class)));
    relays.removeIf(r -> !r.isRunning());
    relays.forEach(OutboxRelay::stop);
    Thread.sleep(300);
    try {
      purgesOldPublishedEvents();
    } finally {
      relays.forEach(OutboxRelay::start);
    }
  }

  private void purgesOldPublishedEvents() {
    String threeEvents = Ids.next("pay");
    String oneEvent = Ids.next("pay");
    String unpublished = Ids.next("pay");
    String young = Ids.next("pay");
    long first = outboxRow(threeEvents, 1, true, FORTY_DAYS_AGO);
    outboxRow(threeEvents, 2, true, FORTY_DAYS_AGO);
    outboxRow(oneEvent, 1, true, FORTY_DAYS_AGO);
    outboxRow(threeEvents, 3, true, FORTY_DAYS_AGO);
    outboxRow(unpublished, 1, false, FORTY_DAYS_AGO);
    outboxRow(unpublished, 2, true, FORTY_DAYS_AGO);
    outboxRow(young, 1, true, Instant.now());
    outboxRow(young, 2, true, Instant.now());
    run("UPDATE outbox SET published_at = NULL WHERE aggregate_id = :a AND sequence = 1", "a", unpublished);

    RetentionJob job = job(2); // windows of two ids: the walk crosses several
    job.startOutboxWalkAfter(first - 1);
    job.purgeOutbox().block(DB);

    assertThat(sequencesOf(threeEvents)).containsExactly(3L);
    assertThat(sequencesOf(oneEvent)).containsExactly(1L);
    assertThat(sequencesOf(unpublished)).as("never published: kept").containsExactly(1L, 2L);
    assertThat(sequencesOf(young)).containsExactly(1L, 2L);
    assertThat(db.sql("SELECT outbox_next_sequence(:a) AS next").bind("a", threeEvents)
        .map(row -> row.get("next", Long.class)).one().block(DB)).isEqualTo(4L);
  }

  // --- inbox ---

  private long inboxRow(String verdict, Instant processedAt) {
    long id = insertInboxRow(verdict, processedAt);
    cleanUp.add(() -> run("DELETE FROM inbox WHERE id = :id", "id", id));
    return id;
  }

  private long insertInboxRow(String verdict, Instant processedAt) {
    return db.sql("""
            INSERT INTO inbox (rail, body, received_at, verdict, processed_at)
            VALUES ('mpesa', '{}', :at, :verdict, :at) RETURNING id""")
        .bind("at", processedAt.atOffset(ZoneOffset.UTC))
        .bind("verdict", verdict == null ? "applied" : verdict)
        .map(row -> row.get("id", Long.class)).one()
        .flatMap(id -> verdict != null ? Mono.just(id)
            : db.sql("UPDATE inbox SET verdict = NULL, processed_at = NULL WHERE id = :id").bind("id", id).then()
                .thenReturn(id))
        .block(DB);
  }

  @Test
  void deletesOldProcessedCallbacksButNotOpenOrRecentOnes() {
    long old = inboxRow("duplicate", FORTY_DAYS_AGO);
    long open = inboxRow(null, FORTY_DAYS_AGO);
    long recent = inboxRow("applied", Instant.now());

    job(1000).purgeInbox().block(DB);

    List<Long> left = db.sql("SELECT id FROM inbox WHERE id IN (:ids)").bind("ids", List.of(old, open, recent))
        .map(row -> row.get("id", Long.class)).all().collectList().block(DB);
    assertThat(left).containsExactlyInAnyOrder(open, recent);
  }

  // --- webhook deliveries ---

  private static String deliveryIdAt(Instant at) {
    byte[] random = new byte[10];
    java.util.concurrent.ThreadLocalRandom.current().nextBytes(random);
    return "whd_" + String.format("%012x", at.toEpochMilli()) + HexFormat.of().formatHex(random);
  }

  private String delivery(String endpoint, String status, Instant at, int attempts) {
    String id = deliveryIdAt(at);
    run("""
        INSERT INTO webhook_deliveries (id, endpoint_id, merchant_id, event_id, event_type, payload, status, attempts, created_at)
        VALUES (:id, :endpoint, :merchant, :event, 'payment.succeeded', '{}', :status, :attempts, :at)""",
        "id", id, "endpoint", endpoint, "merchant", merchant.merchantId(), "event", Ids.next("evt"), "status", status,
        "attempts", attempts, "at", at.atOffset(ZoneOffset.UTC));
    for (int attempt = 1; attempt <= attempts; attempt++) {
      run("""
          INSERT INTO webhook_attempts (delivery_id, attempt, started_at, latency_ms, status_code, succeeded)
          VALUES (:id, :attempt, :at, 5, 500, false)""", "id", id, "attempt", attempt, "at", at.atOffset(ZoneOffset.UTC));
    }
    return id;
  }

  @Test
  void deletesOldFinishedDeliveriesWithTheirAttemptsButNotPendingOrRecentOnes() {
    String endpoint = Ids.next("whe");
    run("""
        INSERT INTO webhook_endpoints (id, merchant_id, url, events, secret)
        VALUES (:id, :merchant, 'https://hooks.example.test/r', ARRAY['payment.succeeded'], 'whsec_retention')""",
        "id", endpoint, "merchant", merchant.merchantId());
    cleanUp.add(() -> run("DELETE FROM webhook_endpoints WHERE id = :id", "id", endpoint));
    cleanUp.add(() -> run("DELETE FROM webhook_deliveries WHERE endpoint_id = :e", "e", endpoint));
    cleanUp.add(() -> run("DELETE FROM webhook_attempts WHERE delivery_id IN "
        + "(SELECT id FROM webhook_deliveries WHERE endpoint_id = :e)", "e", endpoint));
    String delivered = delivery(endpoint, "delivered", FORTY_DAYS_AGO, 3);
    String dead = delivery(endpoint, "dead", FORTY_DAYS_AGO, 2);
    String pending = delivery(endpoint, "pending", FORTY_DAYS_AGO, 1);
    String recent = delivery(endpoint, "delivered", Instant.now(), 1);

    job(1000).purgeWebhookDeliveries().block(DB);

    List<String> left = db.sql("SELECT id FROM webhook_deliveries WHERE endpoint_id = :e").bind("e", endpoint)
        .map(row -> row.get("id", String.class)).all().collectList().block(DB);
    assertThat(left).containsExactlyInAnyOrder(pending, recent);
    assertThat(count("SELECT count(*) FROM webhook_attempts WHERE delivery_id IN (:ids)",
        Map.of("ids", List.of(delivered, dead)))).isZero();
    assertThat(count("SELECT count(*) FROM webhook_attempts WHERE delivery_id IN (:ids)",
        Map.of("ids", List.of(pending, recent)))).isEqualTo(2);
  }

  // --- many instances ---

  @Test
  void twoInstancesPurgingAtOnceDeleteEachRowOnceWithoutErrors() {
    List<Long> old = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      old.add(inboxRow("applied", FORTY_DAYS_AGO));
    }
    RetentionJob first = job(5);
    RetentionJob second = job(5);

    Mono.when(first.pass().subscribeOn(Schedulers.parallel()), second.pass().subscribeOn(Schedulers.parallel()))
        .block(DB);
    // Whichever instance found the lock taken left those batches for its next pass.
    first.purgeInbox().then(second.purgeInbox()).block(DB);

    assertThat(count("SELECT count(*) FROM inbox WHERE id IN (:ids)", Map.of("ids", old))).isZero();
  }
}
