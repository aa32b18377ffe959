package org.malipo.gateway.payment;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.common.CardNumbers;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.KeyedHashes;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.idempotency.IdempotencyCache;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.idempotency.IdempotencyStore.Claim;
import org.malipo.gateway.rail.AuthorizationOperation;
import org.malipo.gateway.rail.OperationOutcome;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Capture and cancel of held card authorizations (docs/adr/0082-authorization-holds.md), and the
 * reconciler's part for them: {@code validate → claim key + operation intent (one statement,
 * guarded by the payment being requires_capture) → call the acquirer (detached from the exchange)
 * → one write through {@link OutcomeWriter}} (the payment's move, the operation's answer, the
 * capture entry and the hold's release, the event and the key's answer, in one statement).
 *
 * <p>An operation whose answer is lost is never sent again: the reconciler asks the acquirer's
 * status query by the operation id ({@link #reconcile}). Authorizations held longer than {@code
 * malipo.payments.authorization-ttl} are voided by the reconciler, {@code cancellation_reason:
 * "expired"}.
 */
@Component
public final class PaymentCaptures {

  private static final Logger log = LoggerFactory.getLogger(PaymentCaptures.class);
  static final int OK = 200;
  static final int REASON_MAX = 255;
  private static final String PROBLEM_TYPE_BASE = "https://docs.malipo.dev/problems/";

  private final StrictJson strictJson;
  private final KeyedHashes fingerprints;
  private final IdempotencyStore idempotency;
  private final IdempotencyCache cache;
  private final PaymentRepository payments;
  private final OperationRepository operations;
  private final OutcomeWriter outcomes;
  private final OutboxWriter outbox;
  private final RailRegistry rails;
  private final DetachedPayments detached;
  private final PaymentProperties properties;
  private final Pricing pricing;
  private final JsonMapper json;
  private final DatabaseClient db;
  private final Clock clock;

  private CardTokens heldCards;

  /** Card tokens (3-D Secure's held card): set by Spring after construction, so the constructor stays as it was. */
  @org.springframework.beans.factory.annotation.Autowired
  void setHeldCards(CardTokens cards) {
    this.heldCards = cards;
  }

  PaymentCaptures(StrictJson strictJson, KeyedHashes fingerprints, IdempotencyStore idempotency, IdempotencyCache cache,
      PaymentRepository payments, OperationRepository operations, OutcomeWriter outcomes, OutboxWriter outbox,
      RailRegistry rails, DetachedPayments detached, PaymentProperties properties, Pricing pricing, JsonMapper json,
      DatabaseClient db, Clock clock) {
    this.strictJson = strictJson;
    this.fingerprints = fingerprints;
    this.idempotency = idempotency;
    this.cache = cache;
    this.payments = payments;
    this.operations = operations;
    this.outcomes = outcomes;
    this.outbox = outbox;
    this.rails = rails;
    this.detached = detached;
    this.properties = properties;
    this.pricing = pricing;
    this.json = json;
    this.db = db;
    this.clock = clock;
  }

  /** An answer: HTTP status, JSON body (a payment, or a stored problem), and whether it is a replay. */
  record Answer(int status, String body, boolean replayed) {}

  /** {@code POST /v1/payments/{id}/capture} body. @param amount minor units, at most the authorized amount */
  record CaptureRequest(Long amount) {}

  /** {@code POST /v1/payments/{id}/cancel} body. @param cancellationReason at most 255 characters */
  record CancelRequest(String cancellationReason) {}

  /**
   * Captures (part of) a held authorization.
   *
   * @param body {@code {amount?}}, may be empty
   * @return {@code 200} with the payment {@code succeeded} (replays too); errors {@code 404
   *     not_found}, {@code 400 parameter_invalid} (amount not in 1..authorized), {@code 409
   *     payment_not_capturable} (any status but {@code requires_capture}, or the acquirer refused),
   *     {@code 503 service_unavailable} (nothing captured; or, with {@code payment_id}, the answer
   *     was lost and the reconciler settles it), idempotency conflicts and bad input
   */
  Mono<Answer> capture(Principal principal, String paymentId, String key, byte[] body) {
    JsonNode tree = strictJson.readObject(body.length == 0 ? "{}".getBytes() : body);
    String fingerprint = fingerprints.of("POST /v1/payments/" + paymentId + "/capture\n" + strictJson.canonical(tree));
    CaptureRequest request = strictJson.bind(tree, CaptureRequest.class);
    if (request.amount() != null && request.amount() <= 0) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "amount", "amount must be a positive integer of minor units.");
    }
    return start(principal.merchantId(), paymentId, key, fingerprint, payment -> {
      long amount = request.amount() == null ? payment.amount().amountMinor() : request.amount();
      if (amount > payment.amount().amountMinor()) {
        throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "amount",
            "amount must be at most the authorized " + payment.amount().amountMinor() + " minor units.");
      }
      return new Intent(AuthorizationOperation.Kind.CAPTURE, new Money(amount, payment.amount().currency()), null);
    });
  }

  /**
   * Cancels a held authorization (voided at the acquirer, hold released) or a payment awaiting
   * authentication.
   *
   * @param body {@code {cancellation_reason?}}, may be empty
   * @return {@code 200} with the payment {@code canceled}; errors {@code 404 not_found}, {@code 409
   *     payment_not_cancelable} (any status but {@code requires_capture} and {@code
   *     requires_action}, or the acquirer refused), {@code 503}, idempotency conflicts and bad input
   */
  Mono<Answer> cancel(Principal principal, String paymentId, String key, byte[] body) {
    JsonNode tree = strictJson.readObject(body.length == 0 ? "{}".getBytes() : body);
    String fingerprint = fingerprints.of("POST /v1/payments/" + paymentId + "/cancel\n" + strictJson.canonical(tree));
    CancelRequest request = strictJson.bind(tree, CancelRequest.class);
    String reason = request.cancellationReason();
    if (reason != null && (reason.isBlank() || reason.length() > REASON_MAX)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "cancellation_reason",
          "cancellation_reason must be 1-255 characters.");
    }
    // Stored and sent in events and webhooks as written; so would a card number be.
    if (CardNumbers.containsCardNumber(reason)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "cancellation_reason",
          "cancellation_reason must not contain a card number.");
    }
    return start(principal.merchantId(), paymentId, key, fingerprint,
        payment -> new Intent(AuthorizationOperation.Kind.VOID, payment.amount(), reason));
  }

  /** What the request asks of the held authorization. */
  private record Intent(AuthorizationOperation.Kind kind, Money amount, String reason) {}

  private Mono<Answer> start(String merchantId, String paymentId, String key, String fingerprint,
      java.util.function.Function<Payment, Intent> intentOf) {
    return cache.replay(merchantId, key, fingerprint)
        .map(replay -> new Answer(replay.status(), replay.body(), true))
        .switchIfEmpty(Mono.defer(() -> payments.find(merchantId, paymentId)
            .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such payment: " + paymentId)))
            .flatMap(payment -> {
              Intent intent = intentOf.apply(payment);
              Mono<Answer> answer = intent.kind() == AuthorizationOperation.Kind.VOID
                  && payment.status() == PaymentStatus.REQUIRES_ACTION
                  // The card held for its 3-D Secure (docs/adr/0083) is forgotten once canceled.
                  ? cancelUnauthorized(payment, key, fingerprint, intent.reason())
                      .flatMap(done -> heldCards == null ? Mono.just(done)
                          : heldCards.releaseHeld(payment.id()).onErrorResume(error -> Mono.empty()).thenReturn(done))
                  : operate(payment, key, fingerprint, intent);
              return answer;
            })
            // A stored problem (the acquirer refused, or did not process) is answered as that problem again.
            .flatMap(answer -> answer.status() >= 400 ? Mono.error(storedProblem(answer.body()))
                : answer.replayed() ? Mono.just(answer)
                : cache.remember(merchantId, key, fingerprint, answer.status(), answer.body()).thenReturn(answer))));
  }

  private static ApiProblem notInStatus(AuthorizationOperation.Kind kind, PaymentStatus status) {
    return kind == AuthorizationOperation.Kind.CAPTURE
        ? ApiProblem.of(ProblemCode.PAYMENT_NOT_CAPTURABLE, "Only a requires_capture payment can be captured; this one is "
            + status.wireName() + ".")
        : ApiProblem.of(ProblemCode.PAYMENT_NOT_CANCELABLE, "Only a requires_capture or requires_action payment can be"
            + " canceled; this one is " + status.wireName() + ".");
  }

  /**
   * The first write: claim the key and commit the operation's intent, in one statement, only if
   * the payment is still {@code requires_capture}. A key that was taken answers its stored answer.
   */
  private Mono<Answer> operate(Payment payment, String key, String fingerprint, Intent intent) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    String operationId = Ids.next(intent.kind() == AuthorizationOperation.Kind.CAPTURE ? "cap" : "void");
    // A payment in any other status gets the same statement: a retry of the request that moved it
    // finds its key taken and replays the answer; any other request fails the guard (409).
    Mono<String[]> authorizationOf = payment.status() != PaymentStatus.REQUIRES_CAPTURE
        ? Mono.just(new String[] {String.valueOf(payment.provider()), null})
        : operations.authorizationOf(payment.id()).switchIfEmpty(Mono.error(() -> new IllegalStateException(
            "payment " + payment.id() + " has no approved attempt")));
    return authorizationOf.flatMap(authorization -> {
          OperationRepository.Stored stored = new OperationRepository.Stored(new AuthorizationOperation(operationId,
              payment.id(), intent.kind(), authorization[1], intent.amount()), authorization[0], payment.merchantId(),
              intent.reason(), key, 0);
          SingleStatement statement = new SingleStatement();
          idempotency.claimIn(statement, payment.merchantId(), key, fingerprint, payment.id());
          operations.intentIn(statement, IdempotencyStore.CLAIM, stored, now, null);
          // A claimed key without the intent (the payment is not requires_capture) aborts the statement.
          // From the claim on, the operation runs apart from the exchange (ADR 0065): a client that
          // hangs up during the claim's statement does not leave an intent that was never sent.
          Mono<Answer> work = statement.query(db, "SELECT (SELECT count(*) FROM " + IdempotencyStore.CLAIM + ") AS claimed,"
                  + " malipo_require((SELECT count(*) FROM " + IdempotencyStore.CLAIM + ") = (SELECT count(*) FROM "
                  + OperationRepository.INTENT + "), 'not requires_capture') AS held")
              .map(row -> row.get("claimed", Long.class))
              .one()
              .onErrorMap(error -> SingleStatement.isRequirementFailure(error) || error instanceof DataIntegrityViolationException,
                  error -> payment.status() != PaymentStatus.REQUIRES_CAPTURE ? notInStatus(intent.kind(), payment.status())
                      : ApiProblem.of(intent.kind() == AuthorizationOperation.Kind.CAPTURE ? ProblemCode.PAYMENT_NOT_CAPTURABLE
                          : ProblemCode.PAYMENT_NOT_CANCELABLE, "Another capture or cancel of this payment is under way or done."))
              .flatMap(claimed -> claimed == 1
                  ? callAndSettle(payment, stored, OutcomeWriter.KeyCompletion.REQUIRED)
                  : idempotency.stored(payment.merchantId(), key, fingerprint).map(claim -> switch (claim) {
                    case Claim.Replay replay -> new Answer(replay.status(), replay.body(), true);
                    case Claim.Claimed c -> throw new IllegalStateException("stored() answered Claimed");
                  }));
          return detached.run(work, properties.answerTimeout(), asItStands(payment));
        });
  }

  /** The answer when the acquirer outlasts the answer timeout: the payment as it stands. */
  private Mono<Answer> asItStands(Payment payment) {
    return payments.find(payment.merchantId(), payment.id())
        .map(current -> new Answer(OK, json.writeValueAsString(PaymentView.of(current)), false));
  }

  /** Calls the acquirer once, then records its answer (runs detached from the exchange). */
  private Mono<Answer> callAndSettle(Payment payment, OperationRepository.Stored stored,
      OutcomeWriter.KeyCompletion key) {
    RailAdapter rail = rails.byName(stored.rail()).orElse(null);
    Mono<OperationOutcome> call = rail == null
        ? Mono.just(new OperationOutcome.NotAttempted(stored.rail(), "rail not configured"))
        : rail.operate(stored.operation());
    return call.flatMap(outcome -> settle(payment, stored, outcome, key));
  }

  /**
   * Records an operation's answer: done → the payment's move through the one writer; refused or
   * not processed → the operation's answer and the key's problem answer (the payment stays held);
   * unknown → the operation is left for the status query and the key stays in progress.
   */
  private Mono<Answer> settle(Payment payment, OperationRepository.Stored stored, OperationOutcome outcome,
      OutcomeWriter.KeyCompletion key) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    AuthorizationOperation operation = stored.operation();
    boolean capture = operation.kind() == AuthorizationOperation.Kind.CAPTURE;
    return switch (outcome) {
      case OperationOutcome.Done done -> {
        Payment result = capture ? payment.capture(operation.amount(), pricing, now) : payment.cancel(stored.reason(), now);
        yield move(payment, result, stored, new OperationRepository.OperationAnswer(operation.operationId(), "approved",
            done.railReference(), done.responseCode()), key, now);
      }
      case OperationOutcome.Refused refused -> {
        if (stored.idempotencyKey() == null && !capture) {
          // An expiry's void refused: the acquirer holds nothing any more; the hold is released here too.
          yield move(payment, payment.cancel(stored.reason(), now), stored, new OperationRepository.OperationAnswer(
              operation.operationId(), "declined", null, refused.responseCode()), key, now);
        }
        ApiProblem problem = capture
            ? ApiProblem.of(ProblemCode.PAYMENT_NOT_CAPTURABLE, "The acquirer refused the capture (code "
                + refused.responseCode() + "); nothing was captured.")
            : ApiProblem.of(ProblemCode.PAYMENT_NOT_CANCELABLE, "The acquirer refused the void (code "
                + refused.responseCode() + "); the authorization is unchanged.");
        yield unmoved(stored, new OperationRepository.OperationAnswer(operation.operationId(), "declined", null,
            refused.responseCode()), problem, key);
      }
      case OperationOutcome.NotAttempted notAttempted -> unmoved(stored, new OperationRepository.OperationAnswer(
              operation.operationId(), "not_processed", null, null),
          ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE, "The acquirer did not process the " + operation.kind().wireName()
              + "; nothing changed. Retry with a new Idempotency-Key."), key);
      case OperationOutcome.Unknown unknown -> {
        log.warn("payment {}: {} {} answer unknown ({}); left to the status query", payment.id(),
            operation.kind().wireName(), operation.operationId(), unknown.reason());
        yield operations.answer(new OperationRepository.OperationAnswer(operation.operationId(), "unknown", null, null))
            .then(Mono.error(ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE, "The " + operation.kind().wireName()
                    + " of payment " + payment.id() + " was sent but its answer was lost; it will be settled."
                    + " Retry with the same Idempotency-Key to get it.")
                .withHeaders(Map.of("Retry-After", "1"))
                .withExtensions(Map.of("payment_id", payment.id()))));
      }
    };
  }

  private Mono<Answer> move(Payment current, Payment result, OperationRepository.Stored stored,
      OperationRepository.OperationAnswer answer, OutcomeWriter.KeyCompletion key, Instant now) {
    String body = json.writeValueAsString(PaymentView.of(result));
    OutcomeWriter.KeyCompletion completion = stored.idempotencyKey() == null ? OutcomeWriter.KeyCompletion.NONE : key;
    return outcomes.write(new OutcomeWriter.Outcome(result, current.status(), List.of(), body, OK, completion, now,
            answer, stored.idempotencyKey()))
        // The acquirer has answered: committing it is retried on transient errors, never on a lost guard.
        .retryWhen(Retry.backoff(3, Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(500))
            .filter(error -> !(error instanceof DataIntegrityViolationException) && !(error instanceof IllegalStateException)))
        .doOnSuccess(done -> outbox.committed())
        .thenReturn(new Answer(OK, body, false))
        // A retry whose guard fails because an earlier try committed and only its answer was lost:
        // this operation's move is in, so the payment as it stands is the answer (never a 500).
        .onErrorResume(IllegalStateException.class, lost -> operations.outcomeOf(answer.operationId())
            .filter(answer.outcome()::equals)
            .flatMap(done -> payments.find(current.merchantId(), current.id()))
            .filter(stands -> stands.status() == result.status())
            .map(stands -> {
              outbox.committed();
              return new Answer(OK, json.writeValueAsString(PaymentView.of(stands)), false);
            })
            .switchIfEmpty(Mono.error(lost)));
  }

  /** The operation's answer and, when a request holds the key, its problem answer; the payment does not move. */
  private Mono<Answer> unmoved(OperationRepository.Stored stored, OperationRepository.OperationAnswer answer,
      ApiProblem problem, OutcomeWriter.KeyCompletion key) {
    SingleStatement statement = new SingleStatement();
    operations.answerIn(statement, answer);
    if (stored.idempotencyKey() != null && key != OutcomeWriter.KeyCompletion.NONE) {
      idempotency.completeIn(statement, stored.merchantId(), stored.idempotencyKey(), stored.operation().paymentId(),
          problem.code().status().value(), problemBody(problem), key == OutcomeWriter.KeyCompletion.REQUIRED);
    }
    return statement.execute(db).then(Mono.error(problem));
  }

  /** The problem a key's stored problem body stands for, rendered anew (with this request's id). */
  private ApiProblem storedProblem(String body) {
    JsonNode stored = json.readTree(body);
    String code = stored.path("code").asString("service_unavailable");
    for (ProblemCode candidate : ProblemCode.values()) {
      if (candidate.wireName().equals(code)) {
        return ApiProblem.of(candidate, stored.path("detail").asString(candidate.title()));
      }
    }
    return ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE, stored.path("detail").asString(""));
  }

  /** The RFC 9457 body stored with the key, so a retry replays the same problem. */
  private String problemBody(ApiProblem problem) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", PROBLEM_TYPE_BASE + problem.code().wireName());
    body.put("title", problem.code().title());
    body.put("status", problem.code().status().value());
    body.put("detail", problem.getMessage());
    body.put("code", problem.code().wireName());
    return json.writeValueAsString(body);
  }

  /**
   * Cancels a payment waiting for the customer's authentication: nothing was authorized, so
   * nothing is held or sent; the key's claim and the move are written by the one writer.
   */
  private Mono<Answer> cancelUnauthorized(Payment payment, String key, String fingerprint, String reason) {
    return idempotency.claim(payment.merchantId(), key, fingerprint, payment.id()).flatMap(claim -> switch (claim) {
      case Claim.Replay replay -> Mono.just(new Answer(replay.status(), replay.body(), true));
      case Claim.Claimed claimed -> {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        Payment result = payment.cancel(reason, now);
        String body = json.writeValueAsString(PaymentView.of(result));
        yield outcomes.write(new OutcomeWriter.Outcome(result, payment.status(), List.of(), body, OK,
                OutcomeWriter.KeyCompletion.REQUIRED, now, null, key))
            .doOnSuccess(done -> outbox.committed())
            .thenReturn(new Answer(OK, body, false))
            .onErrorMap(IllegalStateException.class, lost -> notInStatus(AuthorizationOperation.Kind.VOID, payment.status()));
      }
    });
  }

  /**
   * One reconciler pass over held authorizations: operations whose answer was lost are settled by
   * the acquirer's status query (never sent again), and holds older than {@code
   * malipo.payments.authorization-ttl} are voided ({@code canceled}, {@code expired}).
   *
   * @param firstAfter how long an in-flight operation is left alone (longer than any rail call)
   * @param interval the first interval between status queries (doubling, at most 64 times it)
   * @param batch operations and holds per pass, each
   * @param concurrency rail calls at once
   * @return how many operations and holds were looked at
   */
  public Mono<Long> reconcile(Duration firstAfter, Duration interval, int batch, int concurrency) {
    Flux<Long> unsettled = operations.claimUnsettled(firstAfter, interval, batch)
        .flatMap(stored -> guarded(stored.operation().paymentId(), resolveLost(stored)), concurrency);
    Instant cutoff = clock.instant().minus(properties.authorizationTtl());
    Flux<Long> expired = operations.expiredHolds(cutoff, batch)
        .flatMap(paymentId -> guarded(paymentId, expire(paymentId, cutoff)), concurrency);
    return unsettled.concatWith(expired).count();
  }

  private static Mono<Long> guarded(String paymentId, Mono<?> check) {
    return check.onErrorResume(error -> {
      if (!(error instanceof ApiProblem)) {
        log.warn("payment {}: capture or void reconciliation failed, retried later: {}", paymentId, error.toString());
      }
      return Mono.empty();
    }).thenReturn(1L);
  }

  /** The status query of a lost operation; a final answer is recorded as the request would have. */
  private Mono<Answer> resolveLost(OperationRepository.Stored stored) {
    RailAdapter rail = rails.byName(stored.rail()).orElse(null);
    if (rail == null || stored.operation().authorizationReference() == null) {
      return Mono.empty();
    }
    return rail.queryOperation(stored.operation()).flatMap(outcome -> {
      if (outcome instanceof OperationOutcome.Unknown) {
        return Mono.empty(); // asked again later
      }
      return loadHeld(stored).flatMap(payment -> settle(payment, stored, outcome,
          OutcomeWriter.KeyCompletion.IF_IN_PROGRESS));
    });
  }

  private Mono<Payment> loadHeld(OperationRepository.Stored stored) {
    return payments.find(stored.merchantId(), stored.operation().paymentId());
  }

  /** Voids one expired hold: intent (guarded by the hold still being older than the cutoff), call, write. */
  private Mono<Answer> expire(String paymentId, Instant cutoff) {
    return db.sql("SELECT merchant_id FROM payments WHERE id = :id").bind("id", paymentId)
        .map(row -> row.get("merchant_id", String.class)).one()
        .flatMap(merchantId -> payments.find(merchantId, paymentId))
        .flatMap(payment -> operations.authorizationOf(paymentId).flatMap(authorization -> {
          Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
          OperationRepository.Stored stored = new OperationRepository.Stored(new AuthorizationOperation(
              Ids.next("void"), paymentId, AuthorizationOperation.Kind.VOID, authorization[1], payment.amount()),
              authorization[0], payment.merchantId(), Payment.EXPIRED, null, 0);
          SingleStatement statement = new SingleStatement();
          operations.intentIn(statement, null, stored, now, cutoff);
          statement.require("(SELECT count(*) FROM " + OperationRepository.INTENT + ") = 1",
              "payment " + paymentId + " is no longer an expired hold");
          log.info("payment {}: authorization held past {}; voiding it", paymentId, properties.authorizationTtl());
          return statement.execute(db).then(callAndSettle(payment, stored, OutcomeWriter.KeyCompletion.NONE));
        }));
  }
}
