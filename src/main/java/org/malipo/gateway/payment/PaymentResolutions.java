package org.malipo.gateway.payment;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.common.TraceScope;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.ledger.Ledger;
import org.malipo.gateway.rail.RailOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

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
  private final OutcomeWriter outcomes;
  private final FeeSchedule pricing;
  private final JsonMapper json;
  private final Clock clock;

  PaymentResolutions(DatabaseClient db, PaymentRepository payments, Ledger ledger, OutboxWriter outbox,
      OutcomeWriter outcomes, MerchantFees pricing, JsonMapper json, Clock clock) {
    this.db = db;
    this.payments = payments;
    this.ledger = ledger;
    this.outbox = outbox;
    this.outcomes = outcomes;
    this.pricing = pricing;
    this.json = json;
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
   * @param traceparent the W3C traceparent of the span that recorded the payment (its trace,
   *     issue 24), or null when it was not traced
   */
  public record Attempt(String attemptId, String paymentId, String rail, String railReference, PaymentStatus status,
      Money amount, String msisdn, String traceparent) {}

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
    if (railReference == null && attemptId == null) {
      return Mono.empty();
    }
    // By the rail's reference, or by our attempt id where the rail's reference was never learnt
    // (the push's answer was lost): the callback then brings the reference (docs/adr/0065).
    return db.sql("""
            SELECT a.id, a.payment_id, a.rail, a.rail_reference, p.status, p.amount_minor, p.currency, p.msisdn, p.traceparent
            FROM payment_attempts a JOIN payments p ON p.id = a.payment_id
            WHERE a.rail = :rail AND (a.rail_reference = :reference OR (a.id = :attempt AND a.rail_reference IS NULL))
            ORDER BY (a.rail_reference = :reference) DESC NULLS LAST LIMIT 1""")
        .bind("rail", rail)
        .bind("reference", railReference == null ? "" : railReference)
        .bind("attempt", attemptId == null ? "" : attemptId)
        .map(row -> new Attempt(row.get("id", String.class), row.get("payment_id", String.class),
            row.get("rail", String.class), row.get("rail_reference", String.class),
            PaymentStatus.fromWire(row.get("status", String.class)),
            new Money(row.get("amount_minor", Long.class),
                org.malipo.gateway.common.CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow()),
            row.get("msisdn", String.class), row.get("traceparent", String.class)))
        .first();
  }

  /**
   * Applies a final answer ({@link RailOutcome.Approved} or {@link RailOutcome.Declined}) to the
   * attempt's payment, inside the caller's transaction.
   *
   * @return what happened; error {@link IllegalStateException} when the payment waits for an
   *     action ({@code requires_action})
   */
  public Mono<Result> apply(Attempt attempt, RailOutcome outcome) {
    if (!(outcome instanceof RailOutcome.Approved) && !(outcome instanceof RailOutcome.Declined)) {
      return Mono.error(new IllegalArgumentException("not a final outcome: " + outcome));
    }
    boolean success = outcome instanceof RailOutcome.Approved;
    // Built in the trace of the caller's span (a callback.process), so the events carry it (issue 24).
    return payments.findForUpdate(attempt.paymentId()).flatMap(payment -> TraceScope.deferInTrace(() -> switch (payment.status()) {
      // Processing too: a push whose answer was lost, or a callback faster than the push's answer
      // (the synchronous writer's guard then loses and it answers the payment as it stands).
      case PROCESSING, PENDING -> record(payment, attempt, outcome).thenReturn(Result.APPLIED);
      case SUCCEEDED -> Mono.just(success ? Result.DUPLICATE : Result.LATE);
      case FAILED -> success ? lateFunds(payment, attempt) : Mono.just(Result.DUPLICATE);
      default -> Mono.error(new IllegalStateException("payment " + payment.id() + " is " + payment.status().wireName()));
    }));
  }

  /**
   * Resolves a {@code processing} payment whose attempt is unknown (its answer was lost) with the
   * rail's status-query answer, inside the caller's transaction (docs/adr/0042-unknown-card-attempts.md).
   * Locks the payment row: {@link RailOutcome.Approved} → {@code succeeded} with its one capture;
   * {@link RailOutcome.Declined} → {@code failed} with the decline's code;
   * {@link RailOutcome.NotAttempted} (the rail never processed the request and now refuses it) →
   * {@code failed} with {@code provider_unavailable}. Each with its outbox event, the answer
   * stored on the attempt, and the key completed with the final answer (it stayed in progress
   * while the outcome was unknown, so a retry with the same key now gets the final payment).
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
    // Built in the trace of the caller's span (a reconciler.resolve), so the events carry it (issue 24).
    return payments.findForUpdate(attempt.paymentId()).flatMap(payment -> payment.status() == PaymentStatus.PROCESSING
        ? TraceScope.deferInTrace(() -> record(payment, attempt, outcome)).thenReturn(Result.APPLIED)
        : Mono.just(Result.DUPLICATE));
  }

  /**
   * Fails a {@code processing} payment that no attempt was ever started for: the rail was surely
   * never called (the instance stopped between the claim and the intent write), so nothing was
   * charged ({@code provider_unavailable}). Guarded by the payment still having no attempt: an
   * attempt starting meanwhile wins and this changes nothing. Completes the key if in progress.
   *
   * @return {@link Result#APPLIED}, or {@link Result#DUPLICATE} when the payment moved on
   */
  public Mono<Result> failNeverSent(String paymentId) {
    return payments.findForUpdate(paymentId).flatMap(payment -> {
      if (payment.status() != PaymentStatus.PROCESSING || payment.attempts() != 0) {
        return Mono.just(Result.DUPLICATE);
      }
      Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
      log.info("payment {}: never sent to a rail; failed as provider_unavailable", paymentId);
      return TraceScope.deferInTrace(() -> write(payment, payment.fail(Payment.Failure.PROVIDER_UNAVAILABLE, now), List.of(), now))
          .thenReturn(Result.APPLIED);
    });
  }

  /**
   * Records a rail's later answer for one attempt through the one writer, in the caller's
   * transaction: the decision is the aggregate's ({@link Payment#resolve}), the writes are the
   * same as for a synchronous answer (docs/adr/0065-payment-lifecycle.md).
   */
  private Mono<Void> record(Payment current, Attempt attempt, RailOutcome outcome) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Payment result = current.resolve(outcome, pricing, now);
    log.info("payment {}: attempt {} answered later: {}", result.id(), attempt.attemptId(), result.status().wireName());
    PaymentAttempt answer = PaymentPipeline.toAttempt(attempt.attemptId(), result.id(), now, 0, outcome);
    return write(current, result, List.of(answer), now);
  }

  private Mono<Void> write(Payment current, Payment result, List<PaymentAttempt> answers, Instant now) {
    String body = json.writeValueAsString(PaymentView.of(result));
    return outcomes.write(new OutcomeWriter.Outcome(result, current.status(), answers, body, 201,
        OutcomeWriter.KeyCompletion.IF_IN_PROGRESS, now));
  }

  /**
   * Claims {@code processing} payments left unchanged for {@code firstAfter} (longer than any
   * rail call), whose next check is due: with an attempt in flight or unknown (its answer was lost,
   * or the instance stopped during the call), or with no attempt at all (stopped before the rail
   * was called). Then checked again with doubling intervals from {@code interval} (at most 64 times
   * it). The claim is a guarded update ({@code FOR UPDATE SKIP LOCKED}) that pushes the next check
   * out, so two instances never check the same payment at once.
   *
   * @param limit at most this many
   * @return each with its last attempt ({@link Attempt#attemptId()} null when none was started)
   */
  public Flux<DuePayment> claimProcessing(CheckSchedule schedule, int limit) {
    return db.sql("""
            UPDATE payments p SET status_checks = p.status_checks + 1,
                next_status_check_at = now() + COALESCE(CAST(CAST(:railIntervals AS jsonb) ->> p.provider AS bigint),
                    CAST(:intervalMs AS bigint)) * power(2, LEAST(p.status_checks, 6)) * interval '1 millisecond'
            FROM (SELECT id FROM payments q
                  WHERE status = 'processing'
                    AND COALESCE(next_status_check_at, updated_at + CAST(:firstMs AS bigint) * interval '1 millisecond') <= now()
                  ORDER BY updated_at LIMIT :limit FOR UPDATE SKIP LOCKED) due
                LEFT JOIN LATERAL (SELECT a.id, a.rail, a.rail_reference FROM payment_attempts a
                                   WHERE a.payment_id = due.id ORDER BY a.started_at DESC, a.id DESC LIMIT 1) last ON true
            WHERE p.id = due.id
            RETURNING p.id, p.status_checks, p.status, p.amount_minor, p.currency, p.msisdn, p.traceparent, p.created_at,
                last.id AS attempt_id, last.rail, last.rail_reference""")
        .bind("intervalMs", schedule.interval().toMillis())
        .bind("railIntervals", railIntervalsMs(schedule))
        .bind("firstMs", schedule.firstAfter().toMillis())
        .bind("limit", limit)
        .map(row -> new DuePayment(new Attempt(row.get("attempt_id", String.class), row.get("id", String.class),
            row.get("rail", String.class), row.get("rail_reference", String.class),
            PaymentStatus.fromWire(row.get("status", String.class)),
            new Money(row.get("amount_minor", Long.class),
                org.malipo.gateway.common.CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow()),
            row.get("msisdn", String.class), row.get("traceparent", String.class)), row.get("status_checks", Integer.class), row.get("created_at", Instant.class)))
        .all();
  }

  /**
   * When a case's checks are due: the first {@code firstAfter} after the payment's last change, then
   * with doubling intervals from {@code interval} (at most 64 times it), or from the rail's own
   * interval in {@code perRail} (the rails' quotas and expiries differ: an STK query every few
   * seconds is refused, a card look-up is cheap).
   *
   * @param perRail first interval by rail name; rails not listed use {@code interval}
   */
  public record CheckSchedule(Duration firstAfter, Duration interval, java.util.Map<String, Duration> perRail) {}

  private String railIntervalsMs(CheckSchedule schedule) {
    java.util.Map<String, Long> millis = new java.util.TreeMap<>();
    schedule.perRail().forEach((rail, interval) -> millis.put(rail, interval.toMillis()));
    return json.writeValueAsString(millis);
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
  public record DuePayment(Attempt attempt, int statusChecks, Instant createdAt) {}

  /**
   * Claims pending payments whose next status query is due: the first {@code firstAfter} after the
   * rail accepted, then with doubling intervals from {@code interval}. The claim is a guarded
   * update ({@code FOR UPDATE SKIP LOCKED}) that pushes the next check out, so two instances never
   * query the same payment at once. Runs in its own statement, outside any transaction.
   *
   * @param limit at most this many
   */
  public Flux<DuePayment> claimDue(CheckSchedule schedule, int limit) {
    return db.sql("""
            UPDATE payments p SET status_checks = p.status_checks + 1,
                next_status_check_at = now() + COALESCE(CAST(CAST(:railIntervals AS jsonb) ->> p.provider AS bigint),
                    CAST(:intervalMs AS bigint)) * power(2, LEAST(p.status_checks, 6)) * interval '1 millisecond'
            FROM (SELECT id FROM payments
                  WHERE status = 'pending'
                    AND COALESCE(next_status_check_at, updated_at + CAST(:firstMs AS bigint) * interval '1 millisecond') <= now()
                  ORDER BY updated_at LIMIT :limit FOR UPDATE SKIP LOCKED) due
            WHERE p.id = due.id
            RETURNING p.id, p.provider, p.status_checks, p.status, p.amount_minor, p.currency, p.msisdn, p.traceparent,
                p.created_at,
                (SELECT a.id FROM payment_attempts a WHERE a.payment_id = p.id AND a.outcome = 'pending'
                 ORDER BY a.started_at DESC LIMIT 1) AS attempt_id,
                (SELECT a.rail_reference FROM payment_attempts a WHERE a.payment_id = p.id AND a.outcome = 'pending'
                 ORDER BY a.started_at DESC LIMIT 1) AS rail_reference""")
        .bind("intervalMs", schedule.interval().toMillis())
        .bind("railIntervals", railIntervalsMs(schedule))
        .bind("firstMs", schedule.firstAfter().toMillis())
        .bind("limit", limit)
        .map(row -> new DuePayment(new Attempt(row.get("attempt_id", String.class), row.get("id", String.class),
            row.get("provider", String.class), row.get("rail_reference", String.class),
            PaymentStatus.fromWire(row.get("status", String.class)),
            new Money(row.get("amount_minor", Long.class),
                org.malipo.gateway.common.CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow()),
            row.get("msisdn", String.class), row.get("traceparent", String.class)), row.get("status_checks", Integer.class), row.get("created_at", Instant.class)))
        .all();
  }
}
