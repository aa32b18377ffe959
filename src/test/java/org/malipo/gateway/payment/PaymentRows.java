package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * Writes a payment's rows with the pipeline's own statements, for tests that start in the middle of
 * its lifecycle: as an instance leaves them when it dies after the claim or after the intent.
 */
final class PaymentRows {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private PaymentRows() {}

  /** The claim: key in progress, the payment {@code processing}, its {@code payment.created} event. */
  static void claim(DatabaseClient db, IdempotencyStore idempotency, PaymentRepository payments, OutboxWriter outbox,
      Payment payment) {
    SingleStatement claim = new SingleStatement();
    idempotency.claimIn(claim, payment.merchantId(), payment.idempotencyKey(), "fingerprint", payment.id());
    payments.insertIn(claim, IdempotencyStore.CLAIM, payment);
    outbox.appendFirstIn(claim, PaymentRepository.INSERTED, payment.id(), payment.merchantId(), "payment.created",
        payment.createdAt(), PaymentView.of(payment));
    assertThat(claim.query(db, "SELECT count(*) AS n FROM " + PaymentRepository.INSERTED)
        .map(row -> row.get("n", Long.class)).one().block(WAIT)).isEqualTo(1);
  }

  /** The intent before the rail: the next attempt on {@code rail}, committed {@code in_flight}. */
  static Payment startAttempt(PaymentRepository payments, Payment payment, String rail) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Payment started = payment.withAttemptStarted(rail, now);
    payments.startAttempt(started, PaymentPipeline.attemptId(started.id(), started.attempts()), now).block(WAIT);
    return started;
  }
}
