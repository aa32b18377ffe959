package org.malipo.gateway.refund;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditContext;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.common.CardNumbers;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.KeyedHashes;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.common.StageMetrics;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.fx.FxConversion;
import org.malipo.gateway.fx.FxRates;
import org.malipo.gateway.idempotency.IdempotencyCache;
import org.malipo.gateway.idempotency.IdempotencyStore.Claim;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.ledger.InsufficientBalanceException;
import org.malipo.gateway.ledger.Ledger;
import org.malipo.gateway.rail.PayoutRails;
import org.malipo.gateway.rail.RailRegistry;
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import org.malipo.gateway.refund.RefundRepository.RefundablePayment;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Creates refunds: {@code validate → claim key, lock payment, reserve (refunded amount and ledger
 * entry) → call the rail → record the answer}, like payments in two transactions
 * (docs/adr/0008-refunds-reserve-first.md).
 *
 * <p>Bounds hold in the database: {@code payments.refunded_minor ≤ amount_minor} (CHECK), the
 * merchant balance never below zero (CHECK), one refund entry per refund (unique index). The
 * payment row lock serialises refunds of one payment, so concurrent partial refunds never sum to
 * more than the capture.
 */
@Component
final class RefundService {

  static final int REASON_MAX = 255;
  private static final int CREATED = 201;

  private final StrictJson strictJson;
  private final IdempotencyStore idempotency;
  private final IdempotencyCache cache;
  private final RefundRepository refunds;
  private final Ledger ledger;
  private final OutboxWriter outbox;
  private final RailRegistry rails;
  private final PayoutRails payoutRails;
  private final StageMetrics metrics;
  private final JsonMapper json;
  private final TransactionalOperator tx;
  private final Clock clock;
  private final KeyedHashes fingerprints;
  private final AuditLog audit;
  private final FxRates fxRates;

  RefundService(AuditLog audit, FxRates fxRates, StrictJson strictJson, IdempotencyStore idempotency, IdempotencyCache cache, RefundRepository refunds, Ledger ledger,
      OutboxWriter outbox, RailRegistry rails, PayoutRails payoutRails, StageMetrics metrics, JsonMapper json,
      ReactiveTransactionManager transactionManager, Clock clock, KeyedHashes fingerprints) {
    this.strictJson = strictJson;
    this.idempotency = idempotency;
    this.cache = cache;
    this.refunds = refunds;
    this.ledger = ledger;
    this.outbox = outbox;
    this.rails = rails;
    this.payoutRails = payoutRails;
    this.metrics = metrics;
    this.json = json;
    this.tx = TransactionalOperator.create(transactionManager);
    this.clock = clock;
    this.fingerprints = fingerprints;
    this.audit = audit;
    this.fxRates = fxRates;
  }

  /** An answer: HTTP status, JSON body, and whether it replays an earlier request's answer. */
  record Answer(int status, String body, boolean replayed) {}

  /**
   * Refunds (part of) a payment of the caller's merchant.
   *
   * @return {@code 201} with the refund ({@code succeeded}, {@code failed} or, when the rail's
   *     answer is unknown, {@code pending}); errors: {@code 404 not_found}, {@code 422
   *     payment_not_refundable}, {@code refund_exceeds_payment}, {@code insufficient_balance},
   *     idempotency conflicts and bad input
   */
  Mono<Answer> create(Principal principal, AuditContext context, String paymentId, String idempotencyKey, byte[] body) {
    JsonNode tree = strictJson.readObject(body);
    // A live request fingerprints differently, so a key never replays the other mode's refund (ADR 0078).
    String fingerprint = fingerprints.of("POST /v1/payments/" + paymentId + "/refunds" + (principal.livemode() ? " livemode" : "")
        + "\n" + strictJson.canonical(tree));
    CreateRefundRequest request = strictJson.bind(tree, CreateRefundRequest.class);
    validate(request);
    String refundId = Ids.next("ref");
    Mono<Reserved> reserve = idempotency.claim(principal.merchantId(), idempotencyKey, fingerprint, refundId)
        .flatMap(claim -> switch (claim) {
          case Claim.Replay replay -> Mono.just(new Reserved(null, null, replay));
          case Claim.Claimed claimed -> reserve(principal.merchantId(), principal.livemode(), paymentId, refundId,
              idempotencyKey, request)
              .flatMap(reserved -> audit.record(context, AuditAction.REFUND_CREATED, reserved.refund().id(),
                  Map.of("payment_id", paymentId, "amount", reserved.refund().amount().amountMinor(),
                      "currency", reserved.refund().amount().currency().code()))
                  .thenReturn(reserved));
        });
    String merchantId = principal.merchantId();
    return cache.replay(merchantId, idempotencyKey, fingerprint)
        .map(replay -> new Answer(replay.status(), replay.body(), true))
        .switchIfEmpty(Mono.defer(() -> tx.transactional(reserve)
            .flatMap(reserved -> reserved.replay() != null
                ? Mono.just(new Answer(reserved.replay().status(), reserved.replay().body(), true))
                : metrics.timed("refund.rail", callRail(reserved)).flatMap(outcome -> record(reserved.refund(), outcome)))
            .flatMap(answer -> cache.remember(merchantId, idempotencyKey, fingerprint, answer.status(), answer.body())
                .thenReturn(answer))));
  }

  private static void validate(CreateRefundRequest request) {
    if (request.amount() != null && request.amount() <= 0) {
      throw ApiProblem.param(ProblemCode.AMOUNT_INVALID, "amount", "amount must be a positive integer of minor units.");
    }
    if (request.reason() != null && request.reason().length() > REASON_MAX) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "reason", "reason must be at most 255 characters.");
    }
    // The reason is stored and sent in events and webhooks as written; so would a card number be.
    // Refused before the key is claimed, so no stored idempotency fingerprint hashes one either.
    if (CardNumbers.containsCardNumber(request.reason())) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "reason",
          "reason must not contain a card number.");
    }
  }

  /** A refund reserved in the database, with the authorization to refund; or a replay. */
  private record Reserved(Refund refund, String railReference, Claim.Replay replay, String railReceipt) {

    Reserved(Refund refund, String railReference, Claim.Replay replay) {
      this(refund, railReference, replay, null);
    }
  }

  private Mono<Reserved> reserve(String merchantId, boolean livemode, String paymentId, String refundId, String key,
      CreateRefundRequest request) {
    return refunds.lockPayment(merchantId, livemode, paymentId)
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such payment: " + paymentId)))
        .flatMap(payment -> {
          Money amount = refundAmount(payment, request);
          // Before anything is reserved: a rail without a refund API could never give it back.
          if (rails.byName(payment.provider()).map(rail -> !rail.supportsRefunds()).orElse(false)) {
            throw ApiProblem.of(ProblemCode.REFUND_NOT_SUPPORTED,
                "Payments through " + payment.provider() + " cannot be refunded through the gateway: the rail has no refund API.");
          }
          Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
          Refund refund = new Refund(refundId, payment.id(), merchantId, key, "pending", amount,
              request.reason(), payment.provider(), null, payment.settled(), null, null, now, now, payment.livemode());
          CurrencyUnit fundedIn = payment.settledIn() != null ? payment.settledIn() : amount.currency();
          return (payment.settledIn() == null ? Mono.<Void>empty()
                  : ledger.openMerchantAvailable(merchantId, amount.currency().code()))
              .then(refunds.insert(refund))
              .then(refunds.addRefunded(payment.id(), amount.amountMinor()))
              .then(payment.settledIn() == null ? Mono.empty()
                  : fundFromSettlementCurrency(refund, merchantId, payment.settledIn()))
              .then(ledger.postRefund(refund.id(), payment.id(), merchantId, payment.provider(), amount, payment.settled()))
              .onErrorMap(InsufficientBalanceException.class, e -> ApiProblem.of(ProblemCode.INSUFFICIENT_BALANCE,
                  "The merchant's " + (payment.settled() ? "available" : "pending") + " " + fundedIn
                      + " balance cannot cover this refund."))
              .thenReturn(new Reserved(refund, payment.railReference(), null, payment.railReceipt()));
        });
  }

  /**
   * A payment settled into another currency has left nothing in its own: the refund's amount is
   * bought back from the settlement currency's available balance at the pair's latest rate, in the
   * refund's transaction (docs/adr/0091-refunds-of-converted-payments.md).
   */
  private Mono<String> fundFromSettlementCurrency(Refund refund, String merchantId, CurrencyUnit settlementCurrency) {
    Money amount = refund.amount();
    return fxRates.latest(amount.currency(), settlementCurrency)
        // Rates are append-only and the settlement used one, so there always is one; if not, say so.
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE, "No " + amount.currency() + "/"
                + settlementCurrency + " rate to fund this refund from the " + settlementCurrency + " balance.")
            .withHeaders(Map.of("Retry-After", "60"))))
        .flatMap(rate -> ledger.postRefundConversion(refund.id(), refund.paymentId(), merchantId,
            FxConversion.convert(amount.amountMinor(), amount.currency(), settlementCurrency, rate)));
  }

  private static Money refundAmount(RefundablePayment payment, CreateRefundRequest request) {
    if (!"succeeded".equals(payment.status()) || payment.provider() == null || payment.railReference() == null) {
      throw ApiProblem.of(ProblemCode.PAYMENT_NOT_REFUNDABLE,
          "Only succeeded payments can be refunded; this one is " + payment.status() + ".");
    }
    long remaining = payment.amount().amountMinor() - payment.refunded();
    long requested = request.amount() == null ? remaining : request.amount();
    if (remaining == 0 || requested > remaining) {
      throw ApiProblem.param(ProblemCode.REFUND_EXCEEDS_PAYMENT, "amount",
          "At most " + remaining + " minor units of this payment can still be refunded.");
    }
    return new Money(requested, payment.amount().currency());
  }

  private Mono<RefundOutcome> callRail(Reserved reserved) {
    Refund refund = reserved.refund();
    RefundRequest request = new RefundRequest(refund.id(), refund.paymentId(), reserved.railReference(), refund.amount(),
        receipt(reserved.railReceipt()));
    // A mobile-money rail refunds through its money-out side (M-Pesa Reversal, MoMo Disbursements).
    return payoutRails.byName(refund.rail()).map(rail -> rail.refund(request))
        .or(() -> rails.byName(refund.rail()).map(rail -> rail.refund(request)))
        .orElseGet(() -> Mono.just(new RefundOutcome.NotAttempted(refund.rail(), "rail no longer configured")));
  }

  /** The capture's receipt when the rail gave one apart from its reference (not M-Pesa's STK query "0"). */
  private static String receipt(String responseCode) {
    return responseCode == null || responseCode.isBlank() || "0".equals(responseCode)
        || "SUCCESSFUL".equals(responseCode) ? null : responseCode;
  }

  /**
   * Applies a rail's asynchronous refund result (an M-Pesa Reversal result): a final answer is
   * recorded once (succeeded, or refused and released); anything else changes nothing.
   *
   * @return {@code applied}, {@code duplicate} (no longer pending), {@code orphan} (no such
   *     refund) or {@code pending} (not final)
   */
  Mono<String> applyResult(String refundId, RefundOutcome outcome) {
    return refunds.findPending(refundId)
        .flatMap(due -> {
          if (!(outcome instanceof RefundOutcome.Refunded) && !(outcome instanceof RefundOutcome.Refused)) {
            return Mono.just("pending");
          }
          Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
          return tx.transactional(writes(decide(due.refund(), outcome, now), now))
              .doOnSuccess(done -> outbox.committed())
              .thenReturn("applied")
              .onErrorResume(IllegalStateException.class, error -> Mono.just("duplicate"));
        })
        .switchIfEmpty(Mono.defer(() -> refunds.exists(refundId).map(exists -> exists ? "duplicate" : "orphan")));
  }

  private Mono<Answer> record(Refund pending, RefundOutcome outcome) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Refund result = decide(pending, outcome, now);
    String body = json.writeValueAsString(Refund.View.of(result));
    Mono<Void> all = writes(result, now)
        .then(idempotency.complete(result.merchantId(), result.idempotencyKey(), result.id(), CREATED, body));
    return tx.transactional(all)
        .retryWhen(Retry.backoff(3, Duration.ofMillis(50))
            .filter(error -> !(error instanceof DataIntegrityViolationException) && !(error instanceof IllegalStateException)))
        .doOnSuccess(done -> outbox.committed())
        // The refund is reserved: a failure now must say where the money is, never "nothing recorded".
        .onErrorMap(error -> !(error instanceof ApiProblem), error -> ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE,
                "Refund " + pending.id() + " was recorded but could not be finished now; it will reach a final status."
                    + " Retry with the same Idempotency-Key to get it.")
            .withHeaders(Map.of("Retry-After", "1"))
            .withExtensions(Map.of("refund_id", pending.id(), "payment_id", pending.paymentId())))
        .thenReturn(new Answer(CREATED, body, false));
  }

  private static Refund decide(Refund pending, RefundOutcome outcome, Instant now) {
    return switch (outcome) {
      case RefundOutcome.Refunded r -> pending.resolved("succeeded", r.railReference(), null, null, now);
      case RefundOutcome.Refused r -> pending.resolved("failed", null, r.failureCode(), r.message(), now);
      case RefundOutcome.NotAttempted n -> pending.resolved("failed", null, "provider_unavailable",
          "The payment provider could not take the refund; nothing was refunded.", now);
      case RefundOutcome.Unknown u -> pending; // stays pending until the reconciler asks the rail again
    };
  }

  /** A final refund's writes: the guarded status change, the release of a failed one, its event. */
  private Mono<Void> writes(Refund result, Instant now) {
    return "pending".equals(result.status()) ? Mono.empty() : refunds.resolve(result)
        .then("failed".equals(result.status()) ? release(result) : Mono.empty())
        .then(outbox.append(result.paymentId(), result.merchantId(), "refund." + result.status(), now,
            Refund.View.of(result)).then());
  }

  /**
   * Settles a refund left {@code pending} by an unknown rail answer: sends the same refund again
   * under the same refund id, which the rail takes as its idempotency key (a processed refund is
   * replayed, never repeated). Only a final answer is recorded (succeeded, or refused and
   * released); a refund the rail does not process now stays pending, since the first request
   * may still have been processed. The key keeps its first (pending) answer.
   *
   * @return true when the refund is now final
   */
  Mono<Boolean> recover(RefundRepository.PendingRefund due) {
    return callRail(new Reserved(due.refund(), due.authorization(), null, due.receipt())).flatMap(outcome -> {
      if (!(outcome instanceof RefundOutcome.Refunded) && !(outcome instanceof RefundOutcome.Refused)) {
        return Mono.just(false);
      }
      Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
      return tx.transactional(writes(decide(due.refund(), outcome, now), now))
          .doOnSuccess(done -> outbox.committed())
          .thenReturn(true);
    });
  }

  private Mono<Void> release(Refund failed) {
    return refunds.addRefunded(failed.paymentId(), -failed.amount().amountMinor())
        .then(ledger.postRefundReversal(failed.id(), failed.paymentId(), failed.merchantId(), failed.rail(),
            failed.amount(), failed.fromAvailable()))
        .then();
  }
}
