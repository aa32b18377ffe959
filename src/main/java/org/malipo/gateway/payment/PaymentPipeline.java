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
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.common.StageMetrics;
import org.malipo.gateway.common.TraceScope;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.fraud.FraudCheck;
import org.malipo.gateway.fraud.FraudScorer;
import org.malipo.gateway.fraud.RiskAssessment;
import org.malipo.gateway.idempotency.IdempotencyCache;
import org.malipo.gateway.idempotency.IdempotencyStore.Claim;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.rail.MobileMoneyPayer;
import org.malipo.gateway.rail.PaymentInstrument;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.routing.RailRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The payment pipeline (DESIGN.md §2) as one composed chain:
 * {@code validate → scoreFraud → chooseRails → claimIdempotencyKey (+ first attempt's intent) →
 * callRail → (startAttempt → callRail)* → commitOutcome}.
 *
 * <p>A payment is a durable process, not a request (docs/adr/0065-payment-lifecycle.md). Once its
 * key is claimed it runs detached from the HTTP exchange ({@link DetachedPayments}): the answer
 * waits for it at most {@code malipo.payments.answer-timeout} and otherwise is the payment as it
 * stands. Fraud scoring and the choice of rails come first (read-only but for the velocity
 * counters, which count each idempotency key once); the first write then claims the key and
 * records the payment as {@code processing} with its {@code payment.created} event and, when a
 * rail is to be called, the first attempt's intent ({@code in_flight}; docs/adr/0077). Every later
 * attempt is committed before its call too, so after a crash the reconciler knows whether the rail
 * may have been called; the last write records the outcome through the one writer ({@link
 * OutcomeWriter}). Each write is one SQL statement (docs/adr/0063).
 *
 * <p>Attempt ids are derived from the payment id ({@code att_<payment hex>_<n>}) and sent to the
 * rail as its idempotency reference, so an attempt in flight can be queried by the reconciler.
 */
@Component
final class PaymentPipeline {

  static final String CREATE_PATH = "POST /v1/payments";
  private static final Logger log = LoggerFactory.getLogger(PaymentPipeline.class);
  private static final int CREATED = 201;
  private static final Map<String, String> RETRY_SOON = Map.of("Retry-After", "1");

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
  private final FeeSchedule pricing;
  private final DetachedPayments detached;
  private final StageMetrics metrics;
  private final JsonMapper json;
  private final DatabaseClient db;
  private final Clock clock;
  private CardTokens tokens;
  private org.springframework.beans.factory.ObjectProvider<CardAuthentication> authentication;
  private Duration authenticationTimeout = Duration.ofMinutes(10);

  /** The 3-D Secure rule (docs/adr/0083-three-d-secure.md), if any: set by Spring after construction. */
  @org.springframework.beans.factory.annotation.Autowired
  void setCardAuthentication(org.springframework.beans.factory.ObjectProvider<CardAuthentication> provider,
      @org.springframework.beans.factory.annotation.Value("${malipo.payments.authentication-timeout:10m}") Duration timeout) {
    // Looked up per payment: the sandbox's access control server itself depends on this pipeline.
    this.authentication = provider;
    this.authenticationTimeout = timeout;
  }

  /** Card tokens (issue 19): set by Spring after construction, so the constructor stays as it was. */
  @org.springframework.beans.factory.annotation.Autowired
  void setCardTokens(CardTokens cardTokens) {
    this.tokens = cardTokens;
  }

  PaymentPipeline(StrictJson strictJson, PaymentRequestValidator validator, KeyedHashes fingerprints,
      IdempotencyStore idempotency, IdempotencyCache cache, FraudScorer fraud, RailRouter router, OutcomeWriter outcomes,
      OutboxWriter outbox, PaymentRepository payments, PaymentProperties properties, MerchantFees pricing,
      DetachedPayments detached, StageMetrics metrics, JsonMapper json, DatabaseClient db, Clock clock) {
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
    this.pricing = pricing;
    this.detached = detached;
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
   * @param stored true when the answer is the one stored with the key (so a cache may keep it);
   *     false for a payment answered as it stands while it still runs
   */
  record Answer(int status, String body, boolean replayed, boolean stored) {}

  /**
   * Runs one payment request through the pipeline.
   *
   * @param body the raw JSON body
   * @return the answer: {@code 201} with the payment (declines and fraud blocks are failed
   *     payments, not errors; a payment still running after the answer timeout is answered as it
   *     stands, {@code processing}), or the replay of an earlier answer; errors are {@code
   *     ApiProblem}s for bad input and idempotency conflicts, and, for a failure after the payment
   *     was recorded, {@code 503} naming its {@code payment_id} (retry with the same key)
   */
  Mono<Answer> create(Principal principal, String idempotencyKey, byte[] body) {
    // A card token ({"type": "card", "token": "tok_…"}) becomes its card before validation (issue 19).
    return metrics.timed("validate", Mono.fromCallable(() -> strictJson.readObject(body))
            .flatMap(tree -> tokens.resolveIn(tree, principal.merchantId(), principal.livemode(), idempotencyKey))
            .map(tree -> validate(principal, idempotencyKey, tree)))
        .flatMap(command -> cache.replay(command.merchantId(), command.idempotencyKey(), command.requestFingerprint())
            .map(replay -> new Answer(replay.status(), replay.body(), true, true))
            .switchIfEmpty(Mono.defer(() -> {
              Payment payment = newPayment(command);
              return detached.run(start(command, payment), properties.answerTimeout(),
                  asItStands(payment, "no answer within malipo.payments.answer-timeout"));
            })))
        .checkpoint("payment.create");
  }

  private PaymentCommand validate(Principal principal, String idempotencyKey, JsonNode tree) {
    // Card number, expiry and CVC stay out of the stored fingerprint; the card counts by its token.
    // A live request fingerprints differently: a key used in one mode is 422 idempotency_key_reused
    // in the other, never a replay of the other mode's payment (docs/adr/0078).
    String fingerprint = RequestFingerprint.of(fingerprints, strictJson,
        principal.livemode() ? CREATE_PATH + " livemode" : CREATE_PATH, tree);
    CreatePaymentRequest request = strictJson.bind(tree, CreatePaymentRequest.class);
    return validator.validate(principal.merchantId(), idempotencyKey, fingerprint, request).inMode(principal.livemode())
        .withReturnUrl(returnUrl(request.returnUrl()));
  }

  /**
   * {@code return_url}: an absolute {@code http(s)} URL of at most 2,048 characters, a path on the
   * gateway's own origin ({@code /…}, not {@code //…}: the hosted checkout page), or absent.
   */
  private static String returnUrl(String url) {
    if (url == null) {
      return null;
    }
    if (url.length() <= 2_048 && url.startsWith("/") && !url.startsWith("//") && !url.contains("\\")
        && url.chars().noneMatch(c -> c < 0x21 || c > 0x7e)) {
      return url;
    }
    try {
      java.net.URI uri = new java.net.URI(url);
      if (url.length() <= 2_048 && uri.isAbsolute() && uri.getHost() != null
          && ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))) {
        return url;
      }
    } catch (java.net.URISyntaxException bad) {
      // answered below
    }
    throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "return_url",
        "return_url must be an absolute http(s) URL of at most 2048 characters.");
  }

  /** From fraud scoring to the answer: what runs detached from the exchange. */
  private Mono<Answer> start(PaymentCommand command, Payment payment) {
    return metrics.timed("fraud", plan -> plan.assessed().risk().decision(), plan(command, payment))
        // Built while the stage subscribes: the payment and its payment.created event record its span.
        .flatMap(plan -> metrics.timed("idempotency", this::claimOutcome, Mono.defer(() -> claim(command, payment, plan)))
            .flatMap(started -> started.replay() != null
                ? Mono.just(new Answer(started.replay().status(), started.replay().body(), true, true))
                : process(command, plan)
                // Another writer (the reconciler) moved the payment first: it is answered as it stands.
                .onErrorResume(IllegalStateException.class, lost -> asItStands(payment, lost.toString()))
                .onErrorMap(error -> !(error instanceof ApiProblem), error -> recordedButUnfinished(payment, error))))
        // Only answers stored with the key are cached for the next retry.
        .flatMap(answer -> !answer.stored() ? Mono.just(answer)
            : cache.remember(command.merchantId(), command.idempotencyKey(), command.requestFingerprint(),
                answer.status(), answer.body()).thenReturn(answer));
  }

  /**
   * The answer when the payment outlasts the answer timeout, or another writer moved it first: the
   * payment as it stands, which the merchant reads again later or learns from its events; the key
   * stays in progress until the payment is final. Should the payment not be readable (never seen:
   * logged with {@code why}), {@code 409 idempotency_in_progress} naming it in {@code payment_id}.
   */
  private Mono<Answer> asItStands(Payment payment, String why) {
    return payments.find(payment.merchantId(), payment.livemode(), payment.id())
        .map(current -> new Answer(CREATED, json.writeValueAsString(PaymentView.of(current)), false, false))
        .switchIfEmpty(Mono.error(() -> {
          log.warn("payment {}: answered in progress, its row not readable ({})", payment.id(), why);
          return ApiProblem.of(ProblemCode.IDEMPOTENCY_IN_PROGRESS,
                  "The payment is still being recorded; retry shortly with the same Idempotency-Key.")
              .withHeaders(RETRY_SOON)
              .withExtensions(Map.of("payment_id", payment.id()));
        }));
  }

  /**
   * A failure after the payment was recorded: the client must learn where its money is and retry
   * with the same key, which returns the payment once it is final (never a second charge).
   */
  private static ApiProblem recordedButUnfinished(Payment payment, Throwable error) {
    log.warn("payment {}: failed after it was recorded, left to the reconciler: {}",
        payment.id(), error.toString());
    return ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE, "Payment " + payment.id() + " was recorded but could not be"
            + " finished now; it will reach a final status. Retry with the same Idempotency-Key to get it.")
        .withHeaders(RETRY_SOON)
        .withExtensions(Map.of("payment_id", payment.id()));
  }

  /** Whether the database was never reached (no connection could be had), so nothing can have been written. */
  private static boolean neverSent(Throwable error) {
    return error instanceof DataAccessResourceFailureException
        && String.valueOf(error.getMessage()).startsWith("Failed to obtain R2DBC Connection");
  }

  /** Either the new processing payment or the replay of the key's first answer. */
  private record Started(Payment payment, Claim.Replay replay) {}

  private String claimOutcome(Started started) {
    return started.replay() == null ? "claimed" : "replayed";
  }

  /**
   * The first write, one statement: claim the key and, only if it was claimed, insert the
   * processing payment, its {@code payment.created} event and, when the plan calls a rail, the
   * first attempt's intent. A key that was taken gets its stored answer, or the idempotency
   * problem, from a second look-up.
   */
  private Mono<Started> claim(PaymentCommand command, Payment payment, Plan plan) {
    SingleStatement statement = new SingleStatement();
    idempotency.claimIn(statement, command.merchantId(), command.idempotencyKey(), command.requestFingerprint(),
        payment.id());
    Payment recorded = plan.firstAttempt() != null ? plan.firstAttempt() : payment;
    payments.insertIn(statement, IdempotencyStore.CLAIM, recorded);
    if (plan.firstAttempt() != null) {
      payments.firstAttemptIn(statement, plan.firstAttempt(), attemptId(payment.id(), 1));
    }
    // The event says what the payment was when created: no rail, no attempt, no risk yet.
    outbox.appendFirstIn(statement, PaymentRepository.INSERTED, payment.id(), payment.merchantId(), "payment.created",
        payment.createdAt(), PaymentView.of(payment));
    return statement.query(db, "SELECT count(*) AS inserted FROM " + PaymentRepository.INSERTED)
        .map(row -> row.get("inserted", Long.class))
        .one()
        // No connection: nothing was sent, nothing recorded (the handler says so). A connection that
        // fails once the statement was sent leaves its outcome unknown: the problem names the payment.
        .onErrorMap(error -> !(error instanceof ApiProblem) && !neverSent(error), error -> recordedButUnfinished(payment, error))
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
        command.wallet(), null, null, null, 0, now, now, command.captureMethod(), null, null, command.livemode(),
        command.returnUrl());
  }

  /**
   * What the payment will do, decided before anything is written: the fraud assessment, the rails
   * to try in order and, when one is to be called, the payment with its first attempt started.
   *
   * @param assessed the payment with its risk
   * @param candidates the rails in the order they are tried; empty when fraud blocked it or no rail
   *     serves it
   * @param firstAttempt {@code assessed} with its first attempt started on {@code candidates[0]};
   *     null when no rail is to be called (now)
   * @param authenticate true when the card must pass 3-D Secure first: no rail is called before
   *     the customer's result (docs/adr/0083-three-d-secure.md)
   */
  private record Plan(Payment assessed, List<RailAdapter> candidates, Payment firstAttempt, boolean authenticate) {

    Plan(Payment assessed, List<RailAdapter> candidates, Payment firstAttempt) {
      this(assessed, candidates, firstAttempt, false);
    }
  }

  private Mono<Plan> plan(PaymentCommand command, Payment processing) {
    MaskedCard card = command.maskedCard();
    // Mobile money has no BIN; the payer's number stands in for the card in velocity counters.
    // The idempotency key makes counting idempotent: a retry of the same request is not a new payment.
    FraudCheck check = card != null
        ? new FraudCheck(command.merchantId(), command.amount(), card.bin(), card.fingerprint(), command.idempotencyKey())
        : new FraudCheck(command.merchantId(), command.amount(), "", fingerprints.of(command.wallet().msisdn()),
            command.idempotencyKey());
    return fraud.score(check).map(risk -> {
      Payment assessed = processing.withRisk(new Payment.Risk(risk.score(), risk.decision().wireName(),
          risk.reasons(), risk.degraded()));
      if (risk.decision() == RiskAssessment.Decision.BLOCK) {
        return new Plan(assessed, List.of(), null);
      }
      List<RailAdapter> candidates = command.instrument() instanceof MobileMoneyPayer payer
          ? router.candidates(command.merchantId(), PaymentMethodType.MOBILE_MONEY, payer.operator(),
              command.amount().currency(), payer, command.livemode())
          : router.candidates(command.merchantId(), PaymentMethodType.CARD, null, command.amount().currency(),
              command.instrument(), command.livemode());
      if (command.captureMethod() == Payment.CaptureMethod.MANUAL) {
        // Only a rail that can hold and later complete or reverse an authorization takes it.
        candidates = candidates.stream().filter(RailAdapter::supportsManualCapture).toList();
      }
      CardAuthentication issuer = authentication == null ? null : authentication.getIfAvailable();
      if (!candidates.isEmpty() && issuer != null && command.instrument() instanceof CardData full
          && issuer.required(full, command.livemode())) {
        // The issuer wants the customer first: the rails are chosen again after authentication.
        return new Plan(assessed, candidates, null, true);
      }
      Payment firstAttempt = candidates.isEmpty() ? null
          : assessed.withAttemptStarted(candidates.getFirst().name(), assessed.createdAt());
      return new Plan(assessed, candidates, firstAttempt);
    });
  }

  private Mono<Answer> process(PaymentCommand command, Plan plan) {
    if (plan.authenticate()) {
      return requireAction(command, plan.assessed());
    }
    if (plan.firstAttempt() == null) {
      return commitOutcome(new RailCalls(plan.assessed(), null, List.of()));
    }
    return metrics.timed("rail", calls -> outcomeName(calls.last()),
            callRails(command.instrument(), plan.candidates(), 0, new RailCalls(plan.firstAttempt(), null, List.of())))
        .flatMap(this::commitOutcome);
  }

  /**
   * The card must pass 3-D Secure (docs/adr/0083-three-d-secure.md): the card is kept sealed in
   * Redis for the authentication timeout, then one statement moves the payment {@code processing →
   * requires_action} with its {@code payment.requires_action} event and completes the key with
   * this answer. No rail is called. A failure to keep the card leaves the payment {@code
   * processing} without an attempt, which the reconciler fails as never sent.
   */
  private Mono<Answer> requireAction(PaymentCommand command, Payment assessed) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Payment result = assessed.requireAction(now);
    String body = json.writeValueAsString(PaymentView.of(result));
    return tokens.holdForAuthentication(result.id(), (CardData) command.instrument(), authenticationTimeout)
        .then(outcomes.write(new OutcomeWriter.Outcome(result, PaymentStatus.PROCESSING, List.of(), body, CREATED,
            OutcomeWriter.KeyCompletion.REQUIRED, now)))
        .doOnSuccess(done -> outbox.committed())
        .thenReturn(new Answer(CREATED, body, false, true));
  }

  /**
   * The authorization of a payment whose customer passed 3-D Secure
   * (docs/adr/0083-three-d-secure.md): the rails are chosen again, the first attempt's intent is
   * committed with the move {@code requires_action → processing} (guarded: one result starts one
   * authorization), the rails are called as for any payment and the outcome is written by the one
   * writer ({@code succeeded}, {@code requires_capture}, {@code failed}, or {@code processing}
   * left to the reconciler). The key, completed with the {@code requires_action} answer, keeps it.
   *
   * @param payment the {@code requires_action} payment
   * @param card its card, held in Redis during the authentication
   * @return the payment after the authorization; error {@link IllegalStateException} when it
   *     was no longer {@code requires_action} (nothing written, no rail called)
   */
  Mono<Payment> authorizeAuthenticated(Payment payment, CardData card) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    List<RailAdapter> candidates = router.candidates(payment.merchantId(), PaymentMethodType.CARD, null,
        payment.amount().currency(), card, payment.livemode());
    if (payment.captureMethod() == Payment.CaptureMethod.MANUAL) {
      candidates = candidates.stream().filter(RailAdapter::supportsManualCapture).toList();
    }
    if (candidates.isEmpty()) {
      return failAuthentication(payment, Payment.Failure.PROVIDER_UNAVAILABLE);
    }
    Payment started = payment.authenticated(candidates.getFirst().name(), now);
    List<RailAdapter> rails = candidates;
    return payments.startAuthenticatedAttempt(started, attemptId(payment.id(), started.attempts()), now)
        .then(Mono.defer(() -> callRails(card, rails, 0, new RailCalls(started, null, List.of()))))
        .flatMap(calls -> {
          Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
          Payment result = decide(calls, at);
          OutcomeWriter.KeyCompletion key = result.status() == PaymentStatus.PROCESSING
              ? OutcomeWriter.KeyCompletion.NONE : OutcomeWriter.KeyCompletion.IF_IN_PROGRESS;
          // Built in the subscriber's trace (the 3-D Secure result's span): the event records it.
          return TraceScope.deferInTrace(() -> outcomes.write(new OutcomeWriter.Outcome(result, PaymentStatus.PROCESSING,
                  calls.attempts(), json.writeValueAsString(PaymentView.of(result)), CREATED, key, at)))
              .retryWhen(Retry.backoff(3, Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(500))
                  .filter(error -> !(error instanceof DataIntegrityViolationException) && !(error instanceof IllegalStateException)))
              .doOnSuccess(done -> outbox.committed())
              .thenReturn(result);
        });
  }

  /**
   * Fails a {@code requires_action} payment without a rail call ({@code authentication_failed},
   * {@code authentication_timeout}, or no rail left): one statement with its {@code
   * payment.failed} event, guarded by the payment still being {@code requires_action}.
   *
   * @return the failed payment; error {@link IllegalStateException} when it had moved on
   */
  Mono<Payment> failAuthentication(Payment payment, Payment.Failure why) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Payment result = payment.fail(why, now);
    return outcomes.write(new OutcomeWriter.Outcome(result, PaymentStatus.REQUIRES_ACTION, List.of(),
            json.writeValueAsString(PaymentView.of(result)), CREATED, OutcomeWriter.KeyCompletion.IF_IN_PROGRESS, now))
        .doOnSuccess(done -> outbox.committed())
        .thenReturn(result);
  }

  /**
   * What the rails said: the payment with its attempts started, the last outcome (null when no
   * rail was called) and the answer of every attempt.
   */
  private record RailCalls(Payment payment, RailOutcome last, List<PaymentAttempt> attempts) {}

  private Mono<RailCalls> callRails(PaymentInstrument instrument, List<RailAdapter> candidates, int index, RailCalls done) {
    RailAdapter rail = candidates.get(index);
    // The first attempt's intent was committed with the payment (plan); each later one before its call.
    boolean first = index == 0;
    Instant startedAt = first ? done.payment().updatedAt() : clock.instant().truncatedTo(ChronoUnit.MICROS);
    Payment payment = first ? done.payment() : done.payment().withAttemptStarted(rail.name(), startedAt);
    String attemptId = attemptId(payment.id(), payment.attempts());
    RailRequest request = new RailRequest(payment.id(), attemptId, payment.merchantId(), payment.amount(),
        instrument, payment.reference(), payment.captureMethod() == Payment.CaptureMethod.MANUAL);
    // Intent before the rail: committed first, so a crash during the call leaves an attempt to query.
    Mono<Void> intent = first ? Mono.empty() : payments.startAttempt(payment, attemptId, startedAt);
    return intent.then(Mono.defer(() -> {
      long startNanos = System.nanoTime();
      return rail.authorize(request).flatMap(outcome -> Mono.deferContextual(context -> {
        long railNanos = System.nanoTime() - startNanos;
        // malipo.payments.own_time leaves the rails' time out of the gateway's own.
        RailWait.record(context, railNanos);
        List<PaymentAttempt> attempts = new ArrayList<>(done.attempts());
        attempts.add(toAttempt(attemptId, payment.id(), startedAt, Duration.ofNanos(railNanos).toMillis(), outcome));
        RailCalls calls = new RailCalls(payment, outcome, attempts);
        // Fail over only when the rail surely did not charge (docs/adr/0003-rail-outcomes.md).
        if (outcome instanceof RailOutcome.NotAttempted && index + 1 < candidates.size()) {
          return callRails(instrument, candidates, index + 1, calls);
        }
        return Mono.just(calls);
      }));
    }));
  }

  static String attemptId(String paymentId, int number) {
    return "att_" + paymentId.substring(paymentId.indexOf('_') + 1) + "_" + number;
  }

  /**
   * The last write, one statement ({@link OutcomeWriter}): the guarded outcome update, the
   * attempts' answers, the outcome's event, the stored answer and, for a succeeded payment, the
   * capture. Any of them failing writes none of them (docs/adr/0063). An unknown outcome leaves
   * the key in progress: the reconciler completes it with the final answer.
   */
  private Mono<Answer> commitOutcome(RailCalls calls) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Payment result = decide(calls, now);
    String body = json.writeValueAsString(PaymentView.of(result));
    OutcomeWriter.KeyCompletion key = result.status() == PaymentStatus.PROCESSING
        ? OutcomeWriter.KeyCompletion.NONE : OutcomeWriter.KeyCompletion.REQUIRED;
    Mono<Void> writes = outcomes.write(new OutcomeWriter.Outcome(result, PaymentStatus.PROCESSING, calls.attempts(),
        body, CREATED, key, now));
    // The rail has answered: committing that answer is retried on transient database errors, never
    // on a rule violation, so a charged payment is not left unrecorded by one lost connection; if
    // it still fails, the attempt stays in flight and the reconciler asks the rail.
    return metrics.timed("ledger", writes.thenReturn(result))
        .retryWhen(Retry.backoff(3, Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(500))
            .filter(error -> !(error instanceof DataIntegrityViolationException) && !(error instanceof IllegalStateException)))
        .doOnNext(committed -> outbox.committed())
        .thenReturn(new Answer(CREATED, body, false, key != OutcomeWriter.KeyCompletion.NONE));
  }

  private Payment decide(RailCalls calls, Instant now) {
    Payment assessed = calls.payment();
    if (calls.last() == null) {
      return assessed.fail(assessed.risk() != null && RiskAssessment.Decision.BLOCK.wireName().equals(assessed.risk().decision())
          ? Payment.Failure.RISK_DECLINED : Payment.Failure.PROVIDER_UNAVAILABLE, now);
    }
    return assessed.resolve(calls.last(), pricing, now);
  }

  static PaymentAttempt toAttempt(String attemptId, String paymentId, Instant startedAt, long latencyMs, RailOutcome outcome) {
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
