package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.ledger.Accounts;
import org.malipo.gateway.ledger.Ledger;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Group commit of succeeded payments' outcomes (docs/adr/0061-ledger-group-commit.md): concurrent
 * outcomes share statements, each payment keeps its own rows, balance rows take the batch's sum,
 * and one payment that cannot be written fails alone while the others of its batch commit.
 */
class GroupCommitIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Money AMOUNT = new Money(10_000, CurrencyUnit.KES);
  private static final Money FEE = new Money(290, CurrencyUnit.KES);
  /** 290 basis points of {@code AMOUNT}: {@code FEE}. */
  private static final Pricing PRICING = new Pricing(290, null, null);
  private static final long NET = 9_710;

  @Autowired PaymentRepository payments;
  @Autowired OutboxWriter outbox;
  @Autowired IdempotencyStore idempotency;
  @Autowired Ledger ledger;
  @Autowired DatabaseClient db;

  private final MeterRegistry meters = new SimpleMeterRegistry();
  private OutcomeWriter writer;

  @AfterEach
  void stopBatching() {
    if (writer != null) {
      writer.stop();
    }
  }

  private OutcomeWriter groupCommit(int maxBatch) {
    PaymentProperties properties = new PaymentProperties(null, null, null,
        new PaymentProperties.GroupCommit(true, Duration.ofMillis(10), maxBatch, 2, 100), null);
    writer = new OutcomeWriter(db, payments, new OperationRepository(db), outbox, idempotency, ledger, properties, meters);
    return writer;
  }

  @Test
  void concurrentOutcomesShareStatementsAndEachPaymentKeepsItsOwnRows() {
    String merchant = newMerchant();
    List<Payment> batch = IntStream.range(0, 24).mapToObj(i -> newProcessingPayment(merchant)).toList();
    OutcomeWriter writer = groupCommit(8);

    Flux.fromIterable(batch).flatMap(p -> writer.write(succeeded(p)), batch.size()).then()
        .as(StepVerifier::create).expectComplete().verify(WAIT);

    DistributionSummary sizes = batchSizes();
    assertThat(sizes.max()).as("largest batch").isGreaterThan(1);
    assertThat(sizes.count()).as("statements").isLessThan(batch.size());
    assertThat(sizes.totalAmount()).as("outcomes batched").isEqualTo(batch.size());
    for (Payment p : batch) {
      assertThat(countFor(p, "SELECT count(*) FROM payments WHERE id = :id AND status = 'succeeded' AND fee_minor = 290"))
          .isEqualTo(1);
      assertThat(countFor(p, "SELECT count(*) FROM payment_attempts WHERE payment_id = :id")).isEqualTo(1);
      assertThat(countFor(p, "SELECT count(*) FROM outbox WHERE aggregate_id = :id AND sequence = 2"
          + " AND type = 'payment.succeeded' AND payload::jsonb -> 'data' ->> 'id' = :id")).isEqualTo(1);
      assertThat(countFor(p, "SELECT count(*) FROM idempotency_keys WHERE idempotency_key = :key"
          + " AND state = 'completed' AND resource_id = :id AND response_body = '{\"id\":\"' || :id || '\"}'"))
          .isEqualTo(1);
      // Its own entry: debit the rail 10,000, credit the merchant 9,710 and the fees 290.
      assertThat(countFor(p, "SELECT count(*) FROM journal_entries j JOIN postings s ON s.entry_id = j.id"
          + " WHERE j.payment_id = :id AND j.kind = 'capture'")).isEqualTo(3);
      assertThat(countFor(p, "SELECT sum(CASE s.direction WHEN 'D' THEN s.amount_minor ELSE -s.amount_minor END)"
          + " FROM journal_entries j JOIN postings s ON s.entry_id = j.id WHERE j.payment_id = :id")).isZero();
    }
    String account = Accounts.merchantPending(merchant, "KES");
    assertThat(balance(account)).isEqualTo(batch.size() * NET);
    // INVARIANTS.md 15: the stored balance is the sum of the account's postings.
    assertThat(db.sql("SELECT sum(CASE direction WHEN 'C' THEN amount_minor ELSE -amount_minor END) FROM postings"
            + " WHERE account_id = :account").bind("account", account)
        .map(row -> ((Number) row.get(0)).longValue()).one().block(WAIT)).isEqualTo(batch.size() * NET);
  }

  @Test
  void aBatchOfTwoMerchantsCreditsEachWithItsOwnPayments() {
    String first = newMerchant();
    String second = newMerchant();
    List<Payment> batch = IntStream.range(0, 6).mapToObj(i -> newProcessingPayment(i % 3 == 0 ? second : first)).toList();
    OutcomeWriter writer = groupCommit(8);

    Flux.fromIterable(batch).flatMap(p -> writer.write(succeeded(p)), batch.size()).then()
        .as(StepVerifier::create).expectComplete().verify(WAIT);

    assertThat(batchSizes().max()).isGreaterThan(1);
    assertThat(balance(Accounts.merchantPending(first, "KES"))).isEqualTo(4 * NET);
    assertThat(balance(Accounts.merchantPending(second, "KES"))).isEqualTo(2 * NET);
  }

  @Test
  void aPaymentNoLongerProcessingFailsAloneAndTheOthersOfItsBatchCommit() {
    String merchant = newMerchant();
    List<Payment> batch = IntStream.range(0, 8).mapToObj(i -> newProcessingPayment(merchant)).toList();
    Payment lost = batch.get(3);
    db.sql("UPDATE payments SET status = 'failed' WHERE id = :id").bind("id", lost.id()).then().block(WAIT);
    OutcomeWriter writer = groupCommit(8);

    List<String> results = writeAll(writer, batch);

    assertThat(batchSizes().max()).isGreaterThan(1);
    assertThat(meters.get("malipo.payments.group_commit.fallbacks").counter().count()).isGreaterThanOrEqualTo(1);
    assertThat(results).hasSize(8)
        .contains(lost.id() + ": IllegalStateException: payment " + lost.id() + " was not processing with 1 attempts");
    assertThat(results.stream().filter(r -> r.endsWith(": ok"))).hasSize(7);
    assertThat(countFor(lost, "SELECT count(*) FROM payment_attempts WHERE payment_id = :id AND outcome <> 'in_flight'")).isZero();
    assertThat(countFor(lost, "SELECT count(*) FROM journal_entries WHERE payment_id = :id")).isZero();
    assertThat(countFor(lost, "SELECT count(*) FROM idempotency_keys WHERE idempotency_key = :key AND state = 'in_progress'"))
        .isEqualTo(1);
    assertThat(balance(Accounts.merchantPending(merchant, "KES"))).isEqualTo(7 * NET);
  }

  @Test
  void aPaymentAlreadyCapturedFailsAloneAndTheOthersOfItsBatchCommit() {
    String merchant = newMerchant();
    List<Payment> batch = IntStream.range(0, 8).mapToObj(i -> newProcessingPayment(merchant)).toList();
    Payment captured = batch.get(5);
    ledger.postCapture(captured.id(), merchant, "acquirer_a", AMOUNT, FEE).block(WAIT);
    OutcomeWriter writer = groupCommit(8);

    List<String> results = writeAll(writer, batch);

    assertThat(results).hasSize(8)
        .anyMatch(r -> r.startsWith(captured.id() + ": DuplicateKeyException")
            && r.contains("journal_entries_one_capture_idx"));
    assertThat(results.stream().filter(r -> r.endsWith(": ok"))).hasSize(7);
    assertThat(countFor(captured, "SELECT count(*) FROM payments WHERE id = :id AND status = 'processing'")).isEqualTo(1);
    assertThat(countFor(captured, "SELECT count(*) FROM journal_entries WHERE payment_id = :id")).isEqualTo(1);
    // The earlier capture and the seven of the batch.
    assertThat(balance(Accounts.merchantPending(merchant, "KES"))).isEqualTo(8 * NET);
  }

  @Test
  void outcomesThatPostNothingAreWrittenAloneEvenWithGroupCommitOn() {
    String merchant = newMerchant();
    Payment processing = newProcessingPayment(merchant);
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Payment declined = processing.resolve(
        new RailOutcome.Declined("acquirer_a", null, "05", "card_declined", "The card was declined."), PRICING, now);
    OutcomeWriter writer = groupCommit(8);

    writer.write(new OutcomeWriter.Outcome(declined, PaymentStatus.PROCESSING, List.of(), "{}", 201,
        OutcomeWriter.KeyCompletion.REQUIRED, now)).as(StepVerifier::create)
        .expectComplete().verify(WAIT);

    assertThat(batchSizes().count()).isZero();
    assertThat(countFor(processing, "SELECT count(*) FROM payments WHERE id = :id AND status = 'failed'")).isEqualTo(1);
    assertThat(countFor(processing, "SELECT count(*) FROM journal_entries WHERE payment_id = :id")).isZero();
  }

  private static List<String> writeAll(OutcomeWriter writer, List<Payment> batch) {
    return Flux.fromIterable(batch)
        .flatMap(p -> writer.write(succeeded(p)).thenReturn(p.id() + ": ok")
            .onErrorResume(e -> Mono.just(p.id() + ": " + e.getClass().getSimpleName() + ": " + e.getMessage())),
            batch.size())
        .collectList().block(WAIT);
  }

  private static OutcomeWriter.Outcome succeeded(Payment processing) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Payment succeeded = processing.resolve(new RailOutcome.Approved("acquirer_a", "ref-" + processing.id(), "00"), PRICING, now);
    PaymentAttempt attempt = new PaymentAttempt(PaymentPipeline.attemptId(processing.id(), 1), processing.id(),
        "acquirer_a", "approved", "ref-" + processing.id(), "00", null, now, 20);
    return new OutcomeWriter.Outcome(succeeded, PaymentStatus.PROCESSING, List.of(attempt),
        "{\"id\":\"" + processing.id() + "\"}", 201, OutcomeWriter.KeyCompletion.REQUIRED, now);
  }

  private String newMerchant() {
    String merchantId = Ids.next("mer");
    db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Group commit test', 'KE')").bind("id", merchantId)
        .then().block(WAIT);
    return merchantId;
  }

  /** A processing payment with its key claimed and its created event, as the pipeline's claim writes them. */
  private Payment newProcessingPayment(String merchantId) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Payment payment = new Payment(Ids.next("pay"), merchantId, Ids.next("key"), PaymentStatus.PROCESSING, AMOUNT,
        new Money(0, CurrencyUnit.KES), "order-1", null, Map.of(), new MaskedCard("visa", "424242", "4242", "fp"),
        null, null, new Payment.Risk(12, "allow", List.of("new_card"), false), null, 0, now, now);
    PaymentRows.claim(db, idempotency, payments, outbox, payment);
    Payment started = PaymentRows.startAttempt(payments, payment, "acquirer_a");
    return started;
  }

  private DistributionSummary batchSizes() {
    return meters.get("malipo.payments.group_commit.batch_size").summary();
  }

  private long balance(String account) {
    return db.sql("SELECT coalesce(sum(balance_minor), 0) FROM ledger_accounts WHERE id = :account")
        .bind("account", account).map(row -> ((Number) row.get(0)).longValue()).one().block(WAIT);
  }

  private long countFor(Payment payment, String sql) {
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql);
    if (sql.contains(":id")) {
      spec = spec.bind("id", payment.id());
    }
    if (sql.contains(":key")) {
      spec = spec.bind("key", payment.idempotencyKey());
    }
    return spec.map(row -> ((Number) row.get(0)).longValue()).one().block(WAIT);
  }
}
