package org.malipo.gateway.payment;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.KeyedHashes;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.common.StageMetrics;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.fraud.FraudCheck;
import org.malipo.gateway.fraud.FraudScorer;
import org.malipo.gateway.fraud.RiskAssessment;
import org.malipo.gateway.idempotency.IdempotencyCache;
import org.malipo.gateway.idempotency.IdempotencyStore.Claim;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.rail.MobileMoneyPayer;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.routing.RailRouter;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The payment pipeline (DESIGN.md §2) as one composed chain:
 * {@code validate → claimIdempotencyKey → scoreFraud → chooseRails → callRails → commitOutcome}.
 *
 * <p>Two transactions per payment, each one SQL statement (one round trip; docs/adr/0063). The
 * first claims the idempotency key and records the payment as {@code processing} with its {@code
 * payment.created} event, so a crash during the rail call leaves a payment to reconcile, never a
 * charge without a record. The second writes the outcome, the attempts, the ledger entry, the
 * event and the stored answer together.
 *
 * <p>Attempt ids are derived from the payment id ({@code att_<payment hex>_<n>}) and sent to the
 * rail as its idempotency reference, so the possible attempts of a payment interrupted by a crash
 * can be enumerated and queried (docs/adr/0005-payment-transactions.md).
 */
@Component
final class PaymentPipeline {

  static final String CREATE_PATH = "POST /v1/payments";
  private static final int CREATED = 201;

  private final StrictJson strictJson;
  private final PaymentRequestValidator validator;
  private final KeyedHashes fingerprints;
  private final IdempotencyStore idempotency;
  private final IdempotencyCache cache;
  private final FraudScorer fraud;
  private final RailRouter router;
  private final OutcomeWriter outcomes;
  private final OutboxWriter outbox;
  private final PaymentRepository payments;
  private final PaymentProperties properties;
  private final StageMetrics metrics;
  private final JsonMapper json;
  private final DatabaseClient db;
  private final Clock clock;

  PaymentPipeline(StrictJson strictJson, PaymentRequestValidator validator, KeyedHashes fingerprints,
      IdempotencyStore idempotency, IdempotencyCache cache, FraudScorer fraud, RailRouter router, OutcomeWriter outcomes, OutboxWriter outbox,
      PaymentRepository payments, PaymentProperties properties, StageMetrics metrics, JsonMapper json,
      DatabaseClient db, Clock clock) {
    this.strictJson = strictJson;
    this.validator = validator;
    this.fingerprints = fingerprints;
    this.idempotency = idempotency;
    this.cache = cache;
    this.fraud = fraud;
    this.router = router;
    this.outcomes = outcomes;
    this.outbox = outbox;
    this.payments = payments;
    this.properties = properties;
    this.metrics = metrics;
    this.json = json;
    this.db = db;
    this.clock = clock;
  }

  /**
   * The answer to {@code POST /v1/payments}.
   *
   * @param status HTTP status
   * @param body JSON body
   * @param replayed true when this is the stored answer of an earlier request with the same key
   */
  record Answer(int status, String body, boolean replayed) {}

  /**
   * Runs one payment request through the pipeline.
   *
   * @param body the raw JSON body
   * @return the answer: {@code 201} with the payment (declines and fraud blocks are failed
   *     payments, not errors), or the replay of an earlier answer; errors are {@code ApiProblem}s
   *     for bad input and idempotency conflicts
   */
  Mono<Answer> create(Principal principal, String idempotencyKey, byte[] body) {
    return metrics.timed("validate", Mono.fromCallable(() -> validate(principal, idempotencyKey, body)))
        .flatMap(command -> cache.replay(command.merchantId(), command.idempotencyKey(), command.requestFingerprint())
            .map(replay -> new Answer(replay.status(), replay.body(), true))
            .switchIfEmpty(Mono.defer(() -> metrics.timed("idempotency", this::claimOutcome, claim(command))
                .flatMap(started -> started.replay() != null
                    ? Mono.just(new Answer(started.replay().status(), started.replay().body(), true))
                    : process(command, started.payment()))
                // Only committed answers reach this point: cache them for the next retry.
                .flatMap(answer -> cache.remember(command.merchantId(), command.idempotencyKey(),
                    command.requestFingerprint(), answer.status(), answer.body()).thenReturn(answer)))))
        .checkpoint("payment.create");
  }

  private PaymentCommand validate(Principal principal, String idempotencyKey, byte[] body) {
    JsonNode tree = strictJson.readObject(body);
    // Card number, expiry and CVC stay out of the stored fingerprint; the card counts by its token.
    String fingerprint = RequestFingerprint.of(fingerprints, strictJson, CREATE_PATH, tree);
    CreatePaymentRequest request = strictJson.bind(tree, CreatePaymentRequest.class);
    return validator.validate(principal.merchantId(), idempotencyKey, fingerprint, request);
  }

  /** Either the new processing payment or the replay of the key's first answer. */
  private record Started(Payment payment, Claim.Replay replay) {}

  private String claimOutcome(Started started) {
    return started.replay() == null ? "claimed" : "replayed";
  }

  /**
   * The first write, one statement: claim the key and, only if it was claimed, insert the
   * processing payment and its {@code payment.created} event. A key that was taken gets its
   * stored answer, or the idempotency problem, from a second look-up.
   */
  private Mono<Started> claim(PaymentCommand command) {
    Payment payment = newPayment(command);
    SingleStatement statement = new SingleStatement();
    idempotency.claimIn(statement, command.merchantId(), command.idempotencyKey(), command.requestFingerprint());
    payments.insertIn(statement, IdempotencyStore.CLAIM, payment);
    outbox.appendFirstIn(statement, PaymentRepository.INSERTED, payment.id(), payment.merchantId(), "payment.created",
        payment.createdAt(), PaymentView.of(payment));
    return statement.query(db, "SELECT count(*) AS inserted FROM " + PaymentRepository.INSERTED)
        .map(row -> row.get("inserted", Long.class))
        .one()
        .flatMap(inserted -> {
          if (inserted == 1) {
            outbox.committed();
            return Mono.just(new Started(payment, null));
          }
          return idempotency.stored(command.merchantId(), command.idempotencyKey(), command.requestFingerprint())
              .map(claim -> switch (claim) {
                case Claim.Replay replay -> new Started(null, replay);
                // stored() answers a replay or a problem; a claim is only ever made by claimIn.
                case Claim.Claimed claimed -> throw new IllegalStateException("IdempotencyStore.stored answered Claimed");
              });
        });
  }

  private Payment newPayment(PaymentCommand command) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Money zero = new Money(0, command.amount().currency());
    return new Payment(Ids.next("pay"), command.merchantId(), command.idempotencyKey(), PaymentStatus.PROCESSING,
        command.amount(), zero, command.reference(), command.description(), command.metadata(), command.maskedCard(),
        command.wallet(), null, null, null, 0, now, now);
  }

  private Mono<Answer> process(PaymentCommand command, Payment processing) {
    MaskedCard card = command.maskedCard();
    // Mobile money has no BIN; the payer's number stands in for the card in velocity counters.
    FraudCheck check = card != null
        ? new FraudCheck(command.merchantId(), command.amount(), card.bin(), card.fingerprint())
        : new FraudCheck(command.merchantId(), command.amount(), "", fingerprints.of(command.wallet().msisdn()));
    return metrics.timed("fraud", risk -> risk.decision().wireName(), fraud.score(check))
        .flatMap(risk -> {
          Payment assessed = processing.withRisk(new Payment.Risk(risk.score(), risk.decision().wireName(),
              risk.reasons(), risk.degraded()));
          if (risk.decision() == RiskAssessment.Decision.BLOCK) {
            return commitOutcome(assessed, new RailCalls(null, List.of()));
          }
          List<RailAdapter> candidates = command.instrument() instanceof MobileMoneyPayer payer
              ? router.candidates(command.merchantId(), PaymentMethodType.MOBILE_MONEY, payer.operator(), command.amount().currency())
              : router.candidates(command.merchantId(), PaymentMethodType.CARD, null, command.amount().currency());
          return metrics.timed("rail", calls -> outcomeName(calls.last()), callRails(command, assessed, candidates, 0, List.of()))
              .flatMap(calls -> commitOutcome(assessed, calls));
        });
  }

  /**
   * What the rails said: the last outcome (null when no rail was called) and every attempt made.
   */
  private record RailCalls(RailOutcome last, List<PaymentAttempt> attempts) {}

  private Mono<RailCalls> callRails(PaymentCommand command, Payment payment, List<RailAdapter> candidates, int index,
      List<PaymentAttempt> done) {
    if (candidates.isEmpty()) {
      return Mono.just(new RailCalls(null, List.of()));
    }
    RailAdapter rail = candidates.get(index);
    String attemptId = attemptId(payment.id(), done.size() + 1);
    RailRequest request = new RailRequest(payment.id(), attemptId, payment.merchantId(), payment.amount(),
        command.instrument(), payment.reference());
    Instant startedAt = clock.instant().truncatedTo(ChronoUnit.MICROS);
    long startNanos = System.nanoTime();
    return rail.authorize(request).flatMap(outcome -> Mono.deferContextual(context -> {
      long railNanos = System.nanoTime() - startNanos;
      // malipo.payments.own_time leaves the rails' time out of the gateway's own.
      RailWait.record(context, railNanos);
      List<PaymentAttempt> attempts = new ArrayList<>(done);
      attempts.add(toAttempt(attemptId, payment.id(), startedAt, Duration.ofNanos(railNanos).toMillis(), outcome));
      // Fail over only when the rail surely did not charge (docs/adr/0003-rail-outcomes.md).
      if (outcome instanceof RailOutcome.NotAttempted && index + 1 < candidates.size()) {
        return callRails(command, payment, candidates, index + 1, attempts);
      }
      return Mono.just(new RailCalls(outcome, attempts));
    }));
  }

  static String attemptId(String paymentId, int number) {
    return "att_" + paymentId.substring(paymentId.indexOf('_') + 1) + "_" + number;
  }

  /**
   * The second write, one statement ({@link OutcomeWriter}): the guarded outcome update, the
   * attempts, the outcome's event, the stored answer and, for a succeeded payment, the capture.
   * Any of them failing writes none of them (docs/adr/0063-single-statement-payment-writes.md).
   */
  private Mono<Answer> commitOutcome(Payment assessed, RailCalls calls) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Payment result = decide(assessed, calls, now);
    String body = json.writeValueAsString(PaymentView.of(result));
    Mono<Void> writes = outcomes.write(new OutcomeWriter.Outcome(result, calls.attempts(), body, CREATED, now));
    // The rail has answered: committing that answer is retried on transient database errors, never
    // on a rule violation, so a charged payment is not left unrecorded by one lost connection.
    return metrics.timed("ledger", writes.thenReturn(result))
        .retryWhen(Retry.backoff(3, Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(500))
            .filter(error -> !(error instanceof DataIntegrityViolationException) && !(error instanceof IllegalStateException)))
        .doOnNext(committed -> outbox.committed())
        .thenReturn(new Answer(CREATED, body, false));
  }

  private Payment decide(Payment assessed, RailCalls calls, Instant now) {
    int attempts = calls.attempts().size();
    Money zeroFee = new Money(0, assessed.amount().currency());
    RailOutcome last = calls.last();
    if (last == null) {
      Payment.Failure failure = assessed.risk() != null && "block".equals(assessed.risk().decision())
          ? new Payment.Failure("risk_declined", "The payment was declined by risk checks.")
          : new Payment.Failure("provider_unavailable", "No payment provider is available for this payment.");
      return assessed.withOutcome(PaymentStatus.FAILED, null, failure, zeroFee, attempts, now);
    }
    return switch (last) {
      case RailOutcome.Approved approved -> assessed.withOutcome(PaymentStatus.SUCCEEDED, approved.rail(), null,
          assessed.amount().basisPoints(properties.cardFeeBasisPoints()), attempts, now);
      case RailOutcome.Declined declined -> assessed.withOutcome(PaymentStatus.FAILED, declined.rail(),
          new Payment.Failure(declined.failureCode(), declined.message()), zeroFee, attempts, now);
      case RailOutcome.Pending pending -> assessed.withOutcome(PaymentStatus.PENDING, pending.rail(), null, zeroFee, attempts, now);
      case RailOutcome.NotAttempted notAttempted -> assessed.withOutcome(PaymentStatus.FAILED, notAttempted.rail(),
          new Payment.Failure("provider_unavailable", "No payment provider could take the payment; nothing was charged."),
          zeroFee, attempts, now);
      // May have been charged: stays processing until the rail's status resolves it; never failed over.
      case RailOutcome.Unknown unknown -> new Payment(assessed.id(), assessed.merchantId(), assessed.idempotencyKey(),
          PaymentStatus.PROCESSING, assessed.amount(), zeroFee, assessed.reference(), assessed.description(),
          assessed.metadata(), assessed.card(), assessed.wallet(), unknown.rail(), assessed.risk(), null, attempts, assessed.createdAt(), now);
    };
  }

  private static PaymentAttempt toAttempt(String attemptId, String paymentId, Instant startedAt, long latencyMs, RailOutcome outcome) {
    return switch (outcome) {
      case RailOutcome.Approved a -> new PaymentAttempt(attemptId, paymentId, a.rail(), "approved", a.railReference(),
          a.responseCode(), null, startedAt, latencyMs);
      case RailOutcome.Declined d -> new PaymentAttempt(attemptId, paymentId, d.rail(), "declined", d.railReference(),
          d.responseCode(), d.failureCode(), startedAt, latencyMs);
      case RailOutcome.Pending p -> new PaymentAttempt(attemptId, paymentId, p.rail(), "pending", p.railReference(),
          null, null, startedAt, latencyMs);
      case RailOutcome.NotAttempted n -> new PaymentAttempt(attemptId, paymentId, n.rail(), "not_attempted", null,
          null, null, startedAt, latencyMs);
      case RailOutcome.Unknown u -> new PaymentAttempt(attemptId, paymentId, u.rail(), "unknown", null,
          null, null, startedAt, latencyMs);
    };
  }

  private static String outcomeName(RailOutcome outcome) {
    if (outcome == null) {
      return "no_rail";
    }
    return switch (outcome) {
      case RailOutcome.Approved a -> "approved";
      case RailOutcome.Declined d -> "declined";
      case RailOutcome.Pending p -> "pending";
      case RailOutcome.NotAttempted n -> "not_attempted";
      case RailOutcome.Unknown u -> "unknown";
    };
  }
}
