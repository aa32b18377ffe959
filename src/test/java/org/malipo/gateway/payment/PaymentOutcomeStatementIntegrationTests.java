package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.ledger.Accounts;
import org.malipo.gateway.ledger.Ledger;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A payment's outcome written as one statement (docs/adr/0063): everything or nothing, whichever
 * part fails — the payment's guard, the idempotency key's guard, the ledger's unique capture.
 */
class PaymentOutcomeStatementIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Money AMOUNT = new Money(10_000, CurrencyUnit.KES);
  private static final Money FEE = new Money(290, CurrencyUnit.KES);

  @Autowired PaymentRepository payments;
  @Autowired OutboxWriter outbox;
  @Autowired IdempotencyStore idempotency;
  @Autowired Ledger ledger;
  @Autowired DatabaseClient db;
  @Autowired JsonMapper json;

  private String merchantId;
  private Payment processing;

  @BeforeEach
  void processingPaymentWithItsCreatedEvent() {
    merchantId = Ids.next("mer");
    db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Statement test', 'KE')").bind("id", merchantId)
        .then().block(WAIT);
    processing = newProcessingPayment();
  }

  /** A processing payment with its key claimed and its created event, as the pipeline's claim writes them. */
  private Payment newProcessingPayment() {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Payment payment = new Payment(Ids.next("pay"), merchantId, Ids.next("key"), PaymentStatus.PROCESSING, AMOUNT,
        new Money(0, CurrencyUnit.KES), "order-1", null, Map.of(), new MaskedCard("visa", "424242", "4242", "fp"),
        null, null, new Payment.Risk(12, "allow", List.of("new_card", "amount_high"), false), null, 0, now, now);
    SingleStatement claim = new SingleStatement();
    idempotency.claimIn(claim, merchantId, payment.idempotencyKey(), "fingerprint");
    payments.insertIn(claim, IdempotencyStore.CLAIM, payment);
    outbox.appendFirstIn(claim, PaymentRepository.INSERTED, payment.id(), merchantId, "payment.created", now,
        PaymentView.of(payment));
    assertThat(claim.query(db, "SELECT count(*) AS n FROM " + PaymentRepository.INSERTED)
        .map(row -> row.get("n", Long.class)).one().block(WAIT)).isEqualTo(1);
    return payment;
  }

  private static OutcomeWriter.Outcome succeeded(Payment processing) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Payment succeeded = processing.withOutcome(PaymentStatus.SUCCEEDED, "acquirer_a", null, FEE, 1, now);
    PaymentAttempt attempt = new PaymentAttempt(PaymentPipeline.attemptId(processing.id(), 1), processing.id(),
        "acquirer_a", "approved", "ref-" + processing.id(), "00", null, now, 20);
    return new OutcomeWriter.Outcome(succeeded, List.of(attempt), "{\"id\":\"" + processing.id() + "\"}", now);
  }

  private OutcomeWriter writer(boolean groupCommit, MeterRegistry meters) {
    PaymentProperties properties = new PaymentProperties(null, null, null,
        new PaymentProperties.GroupCommit(groupCommit, Duration.ofMillis(10), 8, 100));
    return new OutcomeWriter(db, payments, outbox, idempotency, ledger, properties, meters);
  }

  private Mono<Void> succeededOutcome() {
    return writer(false, new SimpleMeterRegistry()).write(succeeded(processing));
  }

  @Test
  void writesTheOutcomeAttemptEventAnswerAndCaptureTogether() {
    succeededOutcome().as(StepVerifier::create).verifyComplete();

    assertThat(count("SELECT count(*) FROM payments WHERE id = :id AND status = 'succeeded'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id AND kind = 'capture'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM idempotency_keys WHERE resource_id = :id AND state = 'completed'")).isEqualTo(1);
    String payload = db.sql("SELECT payload FROM outbox WHERE aggregate_id = :id AND sequence = 2")
        .bind("id", processing.id()).map(row -> row.get(0, String.class)).one().block(WAIT);
    JsonNode event = json.readTree(payload);
    assertThat(event.get("sequence").asLong()).isEqualTo(2);
    assertThat(event.get("type").asString()).isEqualTo("payment.succeeded");
    assertThat(event.get("data").get("status").asString()).isEqualTo("succeeded");
    // Jackson's own compact output, the number placed by the statement.
    assertThat(payload).isEqualTo(json.writeValueAsString(event));
    Long balance = db.sql("SELECT balance_minor FROM ledger_accounts WHERE id = :account")
        .bind("account", Accounts.merchantPending(processing.merchantId(), "KES"))
        .map(row -> row.get(0, Long.class)).one().block(WAIT);
    assertThat(balance).isEqualTo(9_710);
  }

  @Test
  void aPaymentNoLongerProcessingGetsNothingWritten() {
    db.sql("UPDATE payments SET status = 'failed' WHERE id = :id").bind("id", processing.id()).then().block(WAIT);

    succeededOutcome().as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("was not processing"))
        .verify(WAIT);
    assertNothingOfTheOutcomeWritten();
  }

  @Test
  void aKeyNoLongerInProgressGetsNothingWritten() {
    db.sql("UPDATE idempotency_keys SET state = 'completed' WHERE idempotency_key = :key")
        .bind("key", processing.idempotencyKey()).then().block(WAIT);

    succeededOutcome().as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("idempotency key was not in progress"))
        .verify(WAIT);
    assertNothingOfTheOutcomeWritten();
    assertThat(count("SELECT count(*) FROM payments WHERE id = :id AND status = 'processing'")).isEqualTo(1);
  }

  @Test
  void aSecondCaptureFailsTheWholeStatement() {
    ledger.postCapture(processing.id(), processing.merchantId(), "acquirer_a", AMOUNT, FEE).block(WAIT);

    succeededOutcome().as(StepVerifier::create).expectError(DataIntegrityViolationException.class).verify(WAIT);
    assertThat(count("SELECT count(*) FROM payments WHERE id = :id AND status = 'processing'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id")).isZero();
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM idempotency_keys WHERE idempotency_key = :key AND state = 'in_progress'"))
        .isEqualTo(1);
  }

  @Test
  void groupCommitWritesConcurrentOutcomesInSharedStatements() {
    List<Payment> batch = java.util.stream.IntStream.range(0, 24).mapToObj(i -> newProcessingPayment()).toList();
    MeterRegistry meters = new SimpleMeterRegistry();
    OutcomeWriter writer = writer(true, meters);

    Flux.fromIterable(batch).flatMap(p -> writer.write(succeeded(p)), batch.size()).then()
        .as(StepVerifier::create).verifyComplete();

    DistributionSummary sizes = meters.get("malipo.payments.group_commit.batch_size").summary();
    assertThat(sizes.max()).as("largest batch").isGreaterThan(1);
    assertThat(sizes.count()).as("statements").isLessThan(batch.size());
    for (Payment p : batch) {
      assertThat(countFor(p, "SELECT count(*) FROM payments WHERE id = :id AND status = 'succeeded'")).isEqualTo(1);
      assertThat(countFor(p, "SELECT count(*) FROM outbox WHERE aggregate_id = :id AND sequence = 2")).isEqualTo(1);
    }
    // The merchant's balance row took every batch's sum: 24 nets of 9,710.
    assertThat(pendingBalance()).isEqualTo(24 * 9_710L);
    assertThat(countOf("SELECT count(*) FROM journal_entries j JOIN payments p ON p.id = j.payment_id "
        + "WHERE p.merchant_id = :merchant AND j.kind = 'capture'")).isEqualTo(24);
  }

  @Test
  void oneFailingOutcomeInABatchFailsAloneAndTheOthersCommit() {
    List<Payment> batch = java.util.stream.IntStream.range(0, 8).mapToObj(i -> newProcessingPayment()).toList();
    Payment lost = batch.get(3);
    db.sql("UPDATE payments SET status = 'failed' WHERE id = :id").bind("id", lost.id()).then().block(WAIT);
    MeterRegistry meters = new SimpleMeterRegistry();
    OutcomeWriter writer = writer(true, meters);

    List<String> results = Flux.fromIterable(batch)
        .flatMap(p -> writer.write(succeeded(p)).thenReturn(p.id() + ":ok")
            .onErrorResume(IllegalStateException.class, e -> Mono.just(p.id() + ":" + e.getMessage())), batch.size())
        .collectList().block(WAIT);

    assertThat(meters.get("malipo.payments.group_commit.batch_size").summary().max()).isGreaterThan(1);
    assertThat(results).hasSize(8).contains(lost.id() + ":payment " + lost.id() + " was not processing");
    assertThat(results.stream().filter(r -> r.endsWith(":ok"))).hasSize(7);
    assertThat(countFor(lost, "SELECT count(*) FROM payment_attempts WHERE payment_id = :id")).isZero();
    assertThat(countFor(lost, "SELECT count(*) FROM journal_entries WHERE payment_id = :id")).isZero();
    assertThat(pendingBalance()).isEqualTo(7 * 9_710L);
  }

  @Test
  void connectionsPlanEachStatementOnce() {
    // Array-bound statements would otherwise be re-planned on every execution (PostgresSessionConfiguration).
    assertThat(db.sql("SHOW plan_cache_mode").map(row -> row.get(0, String.class)).one().block(WAIT))
        .isEqualTo("force_generic_plan");
  }

  private void assertNothingOfTheOutcomeWritten() {
    assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id")).isZero();
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id")).as("only payment.created").isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id")).isZero();
    assertThat(count("SELECT count(*) FROM ledger_accounts WHERE id = '"
        + Accounts.merchantPending(processing.merchantId(), "KES") + "'")).isZero();
  }

  private long count(String sql) {
    return countFor(processing, sql);
  }

  private long countFor(Payment payment, String sql) {
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql);
    if (sql.contains(":id")) {
      spec = spec.bind("id", payment.id());
    }
    if (sql.contains(":key")) {
      spec = spec.bind("key", payment.idempotencyKey());
    }
    return spec.map(row -> row.get(0, Long.class)).one().block(WAIT);
  }

  private long countOf(String sql) {
    return db.sql(sql).bind("merchant", merchantId).map(row -> row.get(0, Long.class)).one().block(WAIT);
  }

  private long pendingBalance() {
    return db.sql("SELECT balance_minor FROM ledger_accounts WHERE id = :account")
        .bind("account", Accounts.merchantPending(merchantId, "KES"))
        .map(row -> row.get(0, Long.class)).one().block(WAIT);
  }
}
