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
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.ledger.Accounts;
import org.malipo.gateway.ledger.Ledger;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.r2dbc.core.DatabaseClient;
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
  /** 290 basis points of {@code AMOUNT}: {@code FEE}. */
  private static final Pricing PRICING = new Pricing(290, null, null);

  @Autowired PaymentRepository payments;
  @Autowired OutboxWriter outbox;
  @Autowired IdempotencyStore idempotency;
  @Autowired Ledger ledger;
  @Autowired DatabaseClient db;
  @Autowired JsonMapper json;

  private Payment processing;

  @BeforeEach
  void processingPaymentWithItsCreatedEvent() {
    String merchantId = Ids.next("mer");
    String key = Ids.next("key");
    db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Statement test', 'KE')").bind("id", merchantId)
        .then().block(WAIT);
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    processing = new Payment(Ids.next("pay"), merchantId, key, PaymentStatus.PROCESSING, AMOUNT,
        new Money(0, CurrencyUnit.KES), "order-1", null, Map.of(), new MaskedCard("visa", "424242", "4242", "fp"),
        null, null, null, null, 0, now, now);
    PaymentRows.claim(db, idempotency, payments, outbox, processing);
    processing = PaymentRows.startAttempt(payments, processing, "acquirer_a");
  }

  private SingleStatement succeededOutcome() {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Payment succeeded = processing.resolve(new RailOutcome.Approved("acquirer_a", "ref-" + processing.id(), "00"), PRICING, now);
    PaymentAttempt attempt = new PaymentAttempt(PaymentPipeline.attemptId(processing.id(), 1), processing.id(),
        "acquirer_a", "approved", "ref-" + processing.id(), "00", null, now, 20);
    SingleStatement statement = new SingleStatement();
    payments.outcomeIn(statement, succeeded, PaymentStatus.PROCESSING, List.of(attempt));
    outbox.appendIn(statement, PaymentRepository.OUTCOME, succeeded.id(), succeeded.merchantId(), "payment.succeeded",
        now, PaymentView.of(succeeded));
    idempotency.completeIn(statement, succeeded.merchantId(), succeeded.idempotencyKey(), succeeded.id(), 201, "{}", true);
    ledger.captureIn(statement, PaymentRepository.OUTCOME, succeeded.id(), succeeded.merchantId(), "acquirer_a",
        AMOUNT, FEE);
    return statement;
  }

  @Test
  void writesTheOutcomeAttemptEventAnswerAndCaptureTogether() {
    succeededOutcome().execute(db).as(StepVerifier::create).verifyComplete();

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

    succeededOutcome().execute(db).as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("was not processing"))
        .verify(WAIT);
    assertNothingOfTheOutcomeWritten();
  }

  @Test
  void aKeyNoLongerInProgressGetsNothingWritten() {
    db.sql("UPDATE idempotency_keys SET state = 'completed' WHERE idempotency_key = :key")
        .bind("key", processing.idempotencyKey()).then().block(WAIT);

    succeededOutcome().execute(db).as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("idempotency key was not in progress"))
        .verify(WAIT);
    assertNothingOfTheOutcomeWritten();
    assertThat(count("SELECT count(*) FROM payments WHERE id = :id AND status = 'processing'")).isEqualTo(1);
  }

  @Test
  void aSecondCaptureFailsTheWholeStatement() {
    ledger.postCapture(processing.id(), processing.merchantId(), "acquirer_a", AMOUNT, FEE).block(WAIT);

    succeededOutcome().execute(db).as(StepVerifier::create).expectError(DataIntegrityViolationException.class).verify(WAIT);
    assertThat(count("SELECT count(*) FROM payments WHERE id = :id AND status = 'processing'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id AND outcome <> 'in_flight'")).isZero();
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM idempotency_keys WHERE idempotency_key = :key AND state = 'in_progress'"))
        .isEqualTo(1);
  }

  private void assertNothingOfTheOutcomeWritten() {
    assertThat(count("SELECT count(*) FROM payment_attempts WHERE payment_id = :id AND outcome <> 'in_flight'")).isZero();
    assertThat(count("SELECT count(*) FROM outbox WHERE aggregate_id = :id")).as("only payment.created").isEqualTo(1);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :id")).isZero();
    assertThat(count("SELECT count(*) FROM ledger_accounts WHERE id = '"
        + Accounts.merchantPending(processing.merchantId(), "KES") + "'")).isZero();
  }

  private long count(String sql) {
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql);
    if (sql.contains(":id")) {
      spec = spec.bind("id", processing.id());
    }
    if (sql.contains(":key")) {
      spec = spec.bind("key", processing.idempotencyKey());
    }
    return spec.map(row -> row.get(0, Long.class)).one().block(WAIT);
  }
}
