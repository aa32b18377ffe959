package org.malipo.gateway.payment;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.ledger.Ledger;
import org.malipo.gateway.rail.RailOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Resolves pending payments with a rail's final answer that arrived later (a callback or a status
 * query): the payments module's port for the {@code callback} module.
 *
 * <p>{@link #apply} must run inside the caller's transaction (which also records the callback's
 * verdict). It locks the payment row, so concurrent reports for one payment serialise: the first
 * final answer moves {@code pending} to {@code succeeded} (capture posted) or {@code failed}, with
 * its outbox event; every later one changes nothing, except a success for a payment already
 * failed, which moves the money to suspense once ({@code payment.late_funds}) and never reopens
 * the payment (INVARIANTS.md 5, 7, 10, 11).
 */
@Component
public final class PaymentResolutions {

  private static final Logger log = LoggerFactory.getLogger(PaymentResolutions.class);

  private final DatabaseClient db;
  private final PaymentRepository payments;
  private final Ledger ledger;
  private final OutboxWriter outbox;
  private final PaymentProperties properties;
  private final Clock clock;

  PaymentResolutions(DatabaseClient db, PaymentRepository payments, Ledger ledger, OutboxWriter outbox,
      PaymentProperties properties, Clock clock) {
    this.db = db;
    this.payments = payments;
    this.ledger = ledger;
    this.outbox = outbox;
    this.properties = properties;
    this.clock = clock;
  }

  /**
   * The attempt a rail reference belongs to, with what a report must match.
   *
   * @param attemptId {@code att_…}
   * @param paymentId {@code pay_…}
   * @param rail the rail name
   * @param railReference the rail's id of the attempt
   * @param status the payment's current status
   * @param amount the payment's amount, minor units
   * @param msisdn the payer, E.164, or null
   */
  public record Attempt(String attemptId, String paymentId, String rail, String railReference, PaymentStatus status,
      Money amount, String msisdn) {}

  /** What applying a final answer did. */
  public enum Result {
    /** The payment moved from pending to final. */
    APPLIED,
    /** The payment already had this outcome: nothing changed. */
    DUPLICATE,
    /** The payment was already final otherwise: nothing changed, or late funds went to suspense. */
    LATE
  }

  /**
   * Finds the attempt of a rail reference ({@code rail_reference}), or else of our attempt id
   * echoed by the rail.
   *
   * @return the attempt, or empty when neither is known
   */
  public Mono<Attempt> findAttempt(String rail, String railReference, String attemptId) {
    String sql = """
        SELECT a.id, a.payment_id, a.rail, a.rail_reference, p.status, p.amount_minor, p.currency, p.msisdn
        FROM payment_attempts a JOIN payments p ON p.id = a.payment_id
        WHERE a.rail = :rail AND\s""" + (railReference != null ? "a.rail_reference = :reference" : "a.id = :reference");
    String key = railReference != null ? railReference : attemptId;
    if (key == null) {
      return Mono.empty();
    }
    return db.sql(sql).bind("rail", rail).bind("reference", key)
        .map(row -> new Attempt(row.get("id", String.class), row.get("payment_id", String.class),
            row.get("rail", String.class), row.get("rail_reference", String.class),
            PaymentStatus.fromWire(row.get("status", String.class)),
            new Money(row.get("amount_minor", Long.class),
                org.malipo.gateway.common.CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow()),
            row.get("msisdn", String.class)))
        .first();
  }

  /**
   * Applies a final answer ({@link RailOutcome.Approved} or {@link RailOutcome.Declined}) to the
   * attempt's payment, inside the caller's transaction.
   *
   * @return what happened; error {@link IllegalStateException} when the payment is not yet
   *     {@code pending} (its creating transaction has not committed the rail's answer): retry later
   */
  public Mono<Result> apply(Attempt attempt, RailOutcome outcome) {
    if (!(outcome instanceof RailOutcome.Approved) && !(outcome instanceof RailOutcome.Declined)) {
      return Mono.error(new IllegalArgumentException("not a final outcome: " + outcome));
    }
    boolean success = outcome instanceof RailOutcome.Approved;
    return payments.findForUpdate(attempt.paymentId()).flatMap(payment -> switch (payment.status()) {
      case PENDING -> resolve(payment, attempt, outcome).thenReturn(Result.APPLIED);
      case SUCCEEDED -> Mono.just(success ? Result.DUPLICATE : Result.LATE);
      case FAILED -> success ? lateFunds(payment, attempt) : Mono.just(Result.DUPLICATE);
      default -> Mono.error(new IllegalStateException("payment " + payment.id() + " is " + payment.status().wireName()));
    });
  }

  private Mono<Void> resolve(Payment pending, Attempt attempt, RailOutcome outcome) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Money zero = new Money(0, pending.amount().currency());
    Payment result = switch (outcome) {
      case RailOutcome.Approved approved -> pending.withOutcome(PaymentStatus.SUCCEEDED, attempt.rail(), null,
          pending.amount().basisPoints(properties.cardFeeBasisPoints()), pending.attempts(), now);
      case RailOutcome.Declined declined -> pending.withOutcome(PaymentStatus.FAILED, attempt.rail(),
          new Payment.Failure(declined.failureCode(), declined.message()), zero, pending.attempts(), now);
      default -> throw new IllegalArgumentException("not final: " + outcome);
    };
    return recordOutcome(result, PaymentStatus.PENDING, attempt, outcome, now);
  }

  /**
   * Resolves a {@code processing} payment whose attempt is unknown (its answer was lost) with the
   * rail's status-query answer, inside the caller's transaction (docs/adr/0042-unknown-card-attempts.md).
   * Locks the payment row: {@link RailOutcome.Approved} → {@code succeeded} with its one capture;
   * {@link RailOutcome.Declined} → {@code failed} with the decline's code;
   * {@link RailOutcome.NotAttempted} (the rail never processed the request and now refuses it) →
   * {@code failed} with {@code provider_unavailable}. Each with its outbox event and the answer
   * stored on the attempt. The key's stored answer stays the first one ({@code processing}), as
   * every replay must be; the merchant reads the outcome from the payment and its events.
   *
   * @return {@link Result#APPLIED}, or {@link Result#DUPLICATE} when the payment is no longer
   *     {@code processing} (another instance resolved it first); error
   *     {@link IllegalArgumentException} for any other outcome
   */
  public Mono<Result> resolveUnknown(Attempt attempt, RailOutcome outcome) {
    if (!(outcome instanceof RailOutcome.Approved) && !(outcome instanceof RailOutcome.Declined)
        && !(outcome instanceof RailOutcome.NotAttempted)) {
      return Mono.error(new IllegalArgumentException("not a final outcome: " + outcome));
    }
    return payments.findForUpdate(attempt.paymentId()).flatMap(payment -> payment.status() == PaymentStatus.PROCESSING
        ? resolveProcessing(payment, attempt, outcome).thenReturn(Result.APPLIED)
        : Mono.just(Result.DUPLICATE));
  }

  private Mono<Void> resolveProcessing(Payment processing, Attempt attempt, RailOutcome outcome) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Money zero = new Money(0, processing.amount().currency());
    Payment result = switch (outcome) {
      case RailOutcome.Approved approved -> processing.withOutcome(PaymentStatus.SUCCEEDED, attempt.rail(), null,
          processing.amount().basisPoints(properties.cardFeeBasisPoints()), processing.attempts(), now);
      case RailOutcome.Declined declined -> processing.withOutcome(PaymentStatus.FAILED, attempt.rail(),
          new Payment.Failure(declined.failureCode(), declined.message()), zero, processing.attempts(), now);
      default -> processing.withOutcome(PaymentStatus.FAILED, attempt.rail(), new Payment.Failure("provider_unavailable",
          "The payment provider did not process the payment; nothing was charged."), zero, processing.attempts(), now);
    };
    log.info("payment {}: unknown attempt {} resolved by status query: {}", result.id(), attempt.attemptId(),
        result.status().wireName());
    return recordOutcome(result, PaymentStatus.PROCESSING, attempt, outcome, now);
  }

  /**
   * The writes of a resolved payment, in the caller's transaction: the guarded status change from
   * {@code previous}, the attempt's answer, the payment's event and, for a success, its one capture.
   */
  private Mono<Void> recordOutcome(Payment result, PaymentStatus previous, Attempt attempt, RailOutcome outcome,
      Instant now) {
    Mono<Void> writes = payments.updateOutcome(result, previous)
        .then(payments.recordAttemptOutcome(attempt.attemptId(), outcome))
        .then(outbox.append(result.id(), result.merchantId(), "payment." + result.status().wireName(), now,
            PaymentView.of(result)).then());
    if (result.status() == PaymentStatus.SUCCEEDED) {
      writes = writes.then(ledger.postCapture(result.id(), result.merchantId(), attempt.rail(), result.amount(),
          result.fee()).then());
    }
    return writes;
  }

  /**
   * Claims {@code processing} payments whose last attempt is unknown and whose next status query
   * is due, like {@link #claimDue}: the first {@code firstAfter} after the attempt was recorded,
   * then with doubling intervals from {@code interval} (at most 64 times it). Such payments are
   * never failed for lack of an answer: only the rail can say whether it charged.
   *
   * @param limit at most this many
   * @return each with its unknown attempt ({@link Attempt#railReference()} null until answered)
   */
  public Flux<DuePayment> claimUnknown(Duration firstAfter, Duration interval, int limit) {
    return db.sql("""
            UPDATE payments p SET status_checks = p.status_checks + 1,
                next_status_check_at = now() + CAST(:intervalMs AS bigint) * power(2, LEAST(p.status_checks, 6))
                    * interval '1 millisecond'
            FROM (SELECT id FROM payments q
                  WHERE status = 'processing'
                    AND EXISTS (SELECT 1 FROM payment_attempts a WHERE a.payment_id = q.id AND a.outcome = 'unknown')
                    AND COALESCE(next_status_check_at, updated_at + CAST(:firstMs AS bigint) * interval '1 millisecond') <= now()
                  ORDER BY updated_at LIMIT :limit FOR UPDATE SKIP LOCKED) due
            WHERE p.id = due.id
            RETURNING p.id, p.status_checks, p.status, p.amount_minor, p.currency, p.msisdn,
                (SELECT a.id FROM payment_attempts a WHERE a.payment_id = p.id AND a.outcome = 'unknown'
                 ORDER BY a.started_at DESC LIMIT 1) AS attempt_id,
                (SELECT a.rail FROM payment_attempts a WHERE a.payment_id = p.id AND a.outcome = 'unknown'
                 ORDER BY a.started_at DESC LIMIT 1) AS rail""")
        .bind("intervalMs", interval.toMillis())
        .bind("firstMs", firstAfter.toMillis())
        .bind("limit", limit)
        .map(row -> new DuePayment(new Attempt(row.get("attempt_id", String.class), row.get("id", String.class),
            row.get("rail", String.class), null, PaymentStatus.fromWire(row.get("status", String.class)),
            new Money(row.get("amount_minor", Long.class),
                org.malipo.gateway.common.CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow()),
            row.get("msisdn", String.class)), row.get("status_checks", Integer.class)))
        .all();
  }

  private Mono<Result> lateFunds(Payment failed, Attempt attempt) {
    return db.sql("SELECT 1 FROM journal_entries WHERE payment_id = :id AND kind = 'late_funds'")
        .bind("id", failed.id()).map(row -> 1).first().hasElement()
        .flatMap(already -> {
          if (already) {
            return Mono.just(Result.DUPLICATE);
          }
          log.warn("payment {}: rail {} confirmed funds after the payment failed; moved to suspense, reversal needed",
              failed.id(), attempt.rail());
          Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
          return ledger.postLateFunds(failed.id(), attempt.rail(), failed.amount())
              .then(outbox.append(failed.id(), failed.merchantId(), "payment.late_funds", now, PaymentView.of(failed)))
              .thenReturn(Result.LATE);
        });
  }

  /**
   * A pending payment due for a status query, claimed for one check interval.
   *
   * @param statusChecks queries made so far, this one included
   */
  public record DuePayment(Attempt attempt, int statusChecks) {}

  /**
   * Claims pending payments whose next status query is due: the first {@code firstAfter} after the
   * rail accepted, then with doubling intervals from {@code interval}. The claim is a guarded
   * update ({@code FOR UPDATE SKIP LOCKED}) that pushes the next check out, so two instances never
   * query the same payment at once. Runs in its own statement, outside any transaction.
   *
   * @param limit at most this many
   */
  public Flux<DuePayment> claimDue(Duration firstAfter, Duration interval, int limit) {
    return db.sql("""
            UPDATE payments p SET status_checks = p.status_checks + 1,
                next_status_check_at = now() + CAST(:intervalMs AS bigint) * power(2, LEAST(p.status_checks, 6))
                    * interval '1 millisecond'
            FROM (SELECT id FROM payments
                  WHERE status = 'pending'
                    AND COALESCE(next_status_check_at, updated_at + CAST(:firstMs AS bigint) * interval '1 millisecond') <= now()
                  ORDER BY updated_at LIMIT :limit FOR UPDATE SKIP LOCKED) due
            WHERE p.id = due.id
            RETURNING p.id, p.provider, p.status_checks, p.status, p.amount_minor, p.currency, p.msisdn,
                (SELECT a.id FROM payment_attempts a WHERE a.payment_id = p.id AND a.outcome = 'pending'
                 ORDER BY a.started_at DESC LIMIT 1) AS attempt_id,
                (SELECT a.rail_reference FROM payment_attempts a WHERE a.payment_id = p.id AND a.outcome = 'pending'
                 ORDER BY a.started_at DESC LIMIT 1) AS rail_reference""")
        .bind("intervalMs", interval.toMillis())
        .bind("firstMs", firstAfter.toMillis())
        .bind("limit", limit)
        .map(row -> new DuePayment(new Attempt(row.get("attempt_id", String.class), row.get("id", String.class),
            row.get("provider", String.class), row.get("rail_reference", String.class),
            PaymentStatus.fromWire(row.get("status", String.class)),
            new Money(row.get("amount_minor", Long.class),
                org.malipo.gateway.common.CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow()),
            row.get("msisdn", String.class)), row.get("status_checks", Integer.class)))
        .all();
  }
}
