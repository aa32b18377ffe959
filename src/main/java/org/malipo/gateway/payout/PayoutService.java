package org.malipo.gateway.payout;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.regex.Pattern;
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
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.idempotency.IdempotencyCache;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.idempotency.IdempotencyStore.Claim;
import org.malipo.gateway.merchant.MerchantPricing;
import org.malipo.gateway.ledger.InsufficientBalanceException;
import org.malipo.gateway.ledger.Ledger;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.PayoutOutcome;
import org.malipo.gateway.rail.PayoutRail;
import org.malipo.gateway.rail.PayoutRails;
import org.malipo.gateway.rail.PayoutRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Creates and settles payouts (docs/adr/0069-payouts-reserved-first.md): {@code validate → claim
 * key, check the daily limit, record the payout, announce it, audit it, reserve amount + fee from
 * available (one transaction) → send once → record the answer}. Every final outcome, from the
 * synchronous answer, a rail result or the reconciler's status query, goes through
 * {@link #settle}: one guarded transaction (status, ledger entry, event, key).
 *
 * <p>The work after validation runs detached from the HTTP exchange: a client that hangs up does
 * not stop a payout between its reservation and its send.
 */
@Component
@EnableConfigurationProperties(PayoutProperties.class)
final class PayoutService {

  static final int CREATED = 201;
  static final int REFERENCE_MAX = 64;
  static final int DESCRIPTION_MAX = 255;
  static final int NAME_MAX = 100;
  static final int METADATA_PAIRS_MAX = 20;
  static final int METADATA_KEY_MAX = 40;
  static final int METADATA_VALUE_MAX = 500;

  /** Wallet numbers each operator pays, E.164 (rails.md §9): Safaricom Kenya; MTN Uganda, Ghana, Rwanda, Zambia. */
  private static final Map<MobileMoneyOperator, Pattern> WALLETS = Map.of(
      MobileMoneyOperator.MPESA, Pattern.compile("\\+254(7\\d|1[0-9])\\d{7}"),
      MobileMoneyOperator.MTN_MOMO, Pattern.compile("\\+(256(7[6-9]|39)\\d{7}|233(24|25|53|54|55|59)\\d{7}|250(78|79)\\d{7}|260(96|76|56)\\d{7})"));

  private static final Logger log = LoggerFactory.getLogger(PayoutService.class);

  private final StrictJson strictJson;
  private final MerchantPricing merchantPricing;
  private final KeyedHashes fingerprints;
  private final IdempotencyStore idempotency;
  private final IdempotencyCache cache;
  private final PayoutRepository payouts;
  private final Ledger ledger;
  private final OutboxWriter outbox;
  private final AuditLog audit;
  private final PayoutRails rails;
  private final PayoutProperties properties;
  private final JsonMapper json;
  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final Clock clock;
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

  PayoutService(StrictJson strictJson, KeyedHashes fingerprints, IdempotencyStore idempotency, IdempotencyCache cache,
      PayoutRepository payouts, Ledger ledger, OutboxWriter outbox, AuditLog audit, PayoutRails rails,
      PayoutProperties properties, JsonMapper json, DatabaseClient db, ReactiveTransactionManager transactionManager,
      Clock clock, MerchantPricing merchantPricing) {
    this.merchantPricing = merchantPricing;
    this.strictJson = strictJson;
    this.fingerprints = fingerprints;
    this.idempotency = idempotency;
    this.cache = cache;
    this.payouts = payouts;
    this.ledger = ledger;
    this.outbox = outbox;
    this.audit = audit;
    this.rails = rails;
    this.properties = properties;
    this.json = json;
    this.db = db;
    this.tx = TransactionalOperator.create(transactionManager);
    this.clock = clock;
  }

  /** An answer: HTTP status, JSON body, and whether it replays an earlier request's answer. */
  record Answer(int status, String body, boolean replayed) {}

  /** A validated request: the rail that pays, and the payout's money. */
  private record Command(PayoutRail rail, Money amount, Money fee, PayoutProperties.Limits limits, String msisdn,
      String name, String reference, String description, Map<String, String> metadata) {}

  /**
   * Creates a payout for the caller's merchant.
   *
   * @return {@code 201} with the payout ({@code pending} until the rail's result, or already
   *     {@code succeeded} / {@code failed}); errors (RFC 9457 problems): {@code 400} bad input
   *     ({@code amount_invalid} for an amount outside the rail's minimum and maximum), {@code 422
   *     insufficient_balance} (nothing recorded), {@code 422 payout_limit_exceeded} (daily limit,
   *     nothing recorded), idempotency conflicts
   */
  Mono<Answer> create(Principal principal, AuditContext context, String key, byte[] body) {
    JsonNode tree = strictJson.readObject(body);
    // A live request fingerprints differently, so a key never replays the other mode's payout (ADR 0078).
    String fingerprint = fingerprints.of("POST /v1/payouts" + (principal.livemode() ? " livemode" : "") + "\n"
        + strictJson.canonical(tree));
    Command command = validate(strictJson.bind(tree, CreatePayoutRequest.class), principal.merchantId());
    // A test credential pays out through sandbox rails only, a live one through real rails only.
    if (command.rail().livemode() != principal.livemode()) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "destination.operator", "Payouts to this operator are not"
          + " available in " + (principal.livemode() ? "live" : "test") + " mode.");
    }
    String merchantId = principal.merchantId();
    String payoutId = Ids.next("po");
    Mono<Answer> work = Mono.defer(() -> tx.transactional(claimAndReserve(merchantId, context, key, fingerprint,
            payoutId, command))
        .doOnSuccess(reserved -> outbox.committed())
        .flatMap(reserved -> reserved.replay() != null
            ? Mono.just(new Answer(reserved.replay().status(), reserved.replay().body(), true))
            : send(reserved.payout()).flatMap(outcome -> record(reserved.payout(), outcome)))
        .flatMap(answer -> cache.remember(merchantId, key, fingerprint, answer.status(), answer.body())
            .thenReturn(answer)));
    return cache.replay(merchantId, key, fingerprint)
        .map(replay -> new Answer(replay.status(), replay.body(), true))
        .switchIfEmpty(Mono.defer(() -> detached(work)));
  }

  /**
   * Runs a payout apart from its exchange, at most {@code malipo.payouts.max-in-flight} at once on
   * this instance (then {@code 503 overloaded} before anything is recorded).
   */
  private Mono<Answer> detached(Mono<Answer> work) {
    if (inFlight.incrementAndGet() > properties.maxInFlight()) {
      inFlight.decrementAndGet();
      return Mono.error(ApiProblem.of(ProblemCode.OVERLOADED, "Too many payouts in flight; retry shortly.")
          .withHeaders(Map.of("Retry-After", "1")));
    }
    // toFuture() subscribes at once; fromFuture(…, true) does not cancel it when the exchange goes.
    return Mono.fromFuture(work.doFinally(signal -> inFlight.decrementAndGet()).toFuture(), true);
  }

  /**
   * A payout's fee: the merchant's own payout rate if it has one, else the rail's configured one;
   * basis points of the amount rounded half-up, plus the fixed part (minor units).
   */
  Money feeOf(String merchantId, Money amount, PayoutProperties.Limits limits) {
    CurrencyUnit currency = amount.currency();
    return merchantPricing.rate(merchantId, MerchantPricing.Method.PAYOUTS, currency.code())
        .map(rate -> amount.basisPoints(rate.percentBp()).plus(new Money(rate.fixedMinor(), currency)))
        .orElseGet(() -> amount.basisPoints(limits.feeBasisPoints()).plus(new Money(limits.feeFixedMinor(), currency)));
  }

  private Command validate(CreatePayoutRequest request, String merchantId) {
    if (request.amount() == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "amount", "amount is required.");
    }
    if (request.currency() == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "currency", "currency is required.");
    }
    CurrencyUnit currency = CurrencyUnit.fromCode(request.currency()).orElseThrow(() -> ApiProblem.param(
        ProblemCode.CURRENCY_UNSUPPORTED, "currency", "currency must be a supported ISO 4217 code."));
    if (request.amount() <= 0) {
      throw ApiProblem.param(ProblemCode.AMOUNT_INVALID, "amount", "amount must be a positive integer of minor units.");
    }
    CreatePayoutRequest.DestinationRequest destination = request.destination();
    if (destination == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "destination", "destination is required.");
    }
    if (!"mobile_money".equals(destination.type())) {
      throw ApiProblem.param(destination.type() == null ? ProblemCode.PARAMETER_MISSING : ProblemCode.PARAMETER_INVALID,
          "destination.type", "destination.type must be \"mobile_money\".");
    }
    if (destination.operator() == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "destination.operator", "destination.operator is required.");
    }
    MobileMoneyOperator operator = MobileMoneyOperator.fromWire(destination.operator())
        .filter(WALLETS::containsKey)
        .orElseThrow(() -> ApiProblem.param(ProblemCode.PARAMETER_INVALID, "destination.operator",
            "destination.operator must be \"mpesa\" or \"mtn_momo\"."));
    if (destination.msisdn() == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "destination.msisdn", "destination.msisdn is required.");
    }
    String msisdn = e164(operator, destination.msisdn().replaceAll("[\\s-]", ""));
    if (!WALLETS.get(operator).matcher(msisdn).matches()) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "destination.msisdn",
          "destination.msisdn must be an E.164 mobile number of a " + operator.wireName() + " wallet.");
    }
    PayoutRail rail = rails.forOperator(operator).orElseThrow(() -> ApiProblem.param(ProblemCode.PARAMETER_INVALID,
        "destination.operator", "Payouts to " + operator.wireName() + " are not available."));
    if (!rail.currencies().contains(currency)) {
      throw ApiProblem.param(ProblemCode.CURRENCY_UNSUPPORTED, "currency",
          operator.wireName() + " pays out in " + rail.currencies().stream().map(CurrencyUnit::code).sorted().toList() + ".");
    }
    PayoutProperties.Limits limits = operator == MobileMoneyOperator.MPESA ? properties.mpesa() : properties.mtnMomo();
    long amountMinor = request.amount();
    if (amountMinor < limits.minAmountMinor() || amountMinor > limits.maxAmountMinor()) {
      throw ApiProblem.param(ProblemCode.AMOUNT_INVALID, "amount", "A " + operator.wireName() + " payout must be "
          + limits.minAmountMinor() + " to " + limits.maxAmountMinor() + " minor units.");
    }
    if (operator == MobileMoneyOperator.MPESA && amountMinor % 100 != 0) {
      throw ApiProblem.param(ProblemCode.AMOUNT_INVALID, "amount", "M-Pesa pays whole shillings: a multiple of 100.");
    }
    Money amount = new Money(amountMinor, currency);
    // Fee: the merchant's own payout rate (PUT /v1/merchants/{id}/pricing) if it has one, else the
    // rail's configured one: basis points of the amount rounded half-up, plus the fixed part.
    Money fee = feeOf(merchantId, amount, limits);
    String name = text(destination.name(), "destination.name", NAME_MAX);
    String reference = text(request.reference(), "reference", REFERENCE_MAX);
    String description = text(request.description(), "description", DESCRIPTION_MAX);
    return new Command(rail, amount, fee, limits, msisdn, name, reference, description, metadata(request.metadata()));
  }

  /**
   * E.164 with {@code +}: as sent, or the digits with their country code ({@code 254708374149}),
   * or for M-Pesa (one country) the national form ({@code 0708374149}).
   */
  private static String e164(MobileMoneyOperator operator, String number) {
    if (!number.matches("\\d{9,15}")) {
      return number;
    }
    if (number.startsWith("0") && operator == MobileMoneyOperator.MPESA) {
      return "+254" + number.substring(1);
    }
    return "+" + number;
  }

  private static String text(String value, String param, int max) {
    if (value == null) {
      return null;
    }
    if (value.isEmpty() || value.length() > max) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, param, param + " must be 1 to " + max + " characters.");
    }
    if (CardNumbers.containsCardNumber(value)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, param, param + " must not contain a card number.");
    }
    return value;
  }

  private static Map<String, String> metadata(Map<String, String> metadata) {
    if (metadata == null) {
      return Map.of();
    }
    if (metadata.size() > METADATA_PAIRS_MAX) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "metadata", "metadata may have at most 20 pairs.");
    }
    for (Map.Entry<String, String> pair : metadata.entrySet()) {
      if (pair.getKey().isEmpty() || pair.getKey().length() > METADATA_KEY_MAX
          || pair.getValue() == null || pair.getValue().length() > METADATA_VALUE_MAX
          || CardNumbers.containsCardNumber(pair.getKey()) || CardNumbers.containsCardNumber(pair.getValue())) {
        throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "metadata",
            "metadata keys must be 1 to 40 characters, values strings of at most 500, and neither a card number.");
      }
    }
    return Map.copyOf(metadata);
  }

  /** A payout recorded and reserved, or the replay of an earlier answer for the key. */
  private record Reserved(Payout payout, Claim.Replay replay) {}

  private Mono<Reserved> claimAndReserve(String merchantId, AuditContext context, String key, String fingerprint,
      String payoutId, Command command) {
    return idempotency.claim(merchantId, key, fingerprint, payoutId).flatMap(claim -> switch (claim) {
      case Claim.Replay replay -> Mono.just(new Reserved(null, replay));
      case Claim.Claimed claimed -> reserve(merchantId, context, key, payoutId, command)
          .map(payout -> new Reserved(payout, null));
    });
  }

  private Mono<Payout> reserve(String merchantId, AuditContext context, String key, String payoutId, Command c) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Instant midnight = now.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).toInstant();
    Payout payout = new Payout(payoutId, merchantId, key, Payout.PENDING, c.amount(), c.fee(), c.rail().name(),
        c.rail().operator().wireName(), c.msisdn(), c.name(), c.reference(), c.description(), c.metadata(),
        c.rail().livemode(), null, null, null, null, now, now);
    String currency = c.amount().currency().code();
    return payouts.lockAndSumSince(merchantId, c.rail().name(), currency, midnight)
        .flatMap(paidToday -> {
          if (Math.addExact(paidToday, c.amount().amountMinor()) > c.limits().dailyMaxMinor()) {
            return Mono.error(ApiProblem.param(ProblemCode.PAYOUT_LIMIT_EXCEEDED, "amount", "This payout would take "
                + "today's " + c.rail().name() + " payouts in " + currency + " past the daily limit of "
                + c.limits().dailyMaxMinor() + " minor units (" + paidToday + " already paid out or pending)."));
          }
          return payouts.insert(payout)
              .then(outbox.append(payoutId, merchantId, "payout.created", now, Payout.View.of(payout)))
              .then(audit.record(context, AuditAction.PAYOUT_CREATED, payoutId, Map.of("amount",
                  c.amount().amountMinor(), "fee", c.fee().amountMinor(), "currency", currency,
                  "operator", payout.operator())))
              // Last: the merchant's balance row stays locked from here to the commit.
              .then(ledger.postPayoutReserve(payoutId, merchantId, payout.total()))
              .onErrorMap(InsufficientBalanceException.class, e -> ApiProblem.of(ProblemCode.INSUFFICIENT_BALANCE,
                  "The merchant's available " + currency + " balance cannot cover this payout and its fee ("
                      + payout.total().amountMinor() + " minor units)."))
              .thenReturn(payout);
        });
  }

  /** Sends the payout once; no answer within the answer timeout leaves it to the status query. */
  private Mono<PayoutOutcome> send(Payout payout) {
    PayoutRail rail = rails.byName(payout.rail()).orElse(null);
    if (rail == null) {
      return Mono.just(new PayoutOutcome.NotAttempted(payout.rail(), "rail no longer configured"));
    }
    return rail.send(new PayoutRequest(payout.id(), payout.amount(), payout.msisdn(), payout.description()))
        .timeout(properties.answerTimeout(), Mono.fromSupplier(() ->
            new PayoutOutcome.Unknown(payout.rail(), "no answer within " + properties.answerTimeout())))
        .onErrorResume(error -> Mono.just(new PayoutOutcome.Unknown(payout.rail(), error.getClass().getSimpleName())))
        .checkpoint("payout.send");
  }

  /** Records the synchronous answer, then answers with the payout as it now stands. */
  private Mono<Answer> record(Payout payout, PayoutOutcome outcome) {
    return apply(payout, outcome, null)
        .onErrorResume(error -> {
          // Reserved and maybe sent: the reconciler settles it; the client reads it with GET.
          log.warn("payout {}: answer {} not recorded now, left to the reconciler: {}", payout.id(), outcome, error.toString());
          return Mono.just("deferred");
        })
        .then(payouts.findById(payout.id()))
        .map(current -> new Answer(CREATED, json.writeValueAsString(Payout.View.of(current)), false))
        .flatMap(answer -> completeKey(payout, answer.body()).thenReturn(answer))
        .onErrorMap(error -> !(error instanceof ApiProblem), error -> ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE,
                "Payout " + payout.id() + " was recorded but its answer could not be read now; it will reach a final"
                    + " status. Retry with the same Idempotency-Key to get it.")
            .withHeaders(Map.of("Retry-After", "1"))
            .withExtensions(Map.of("payout_id", payout.id())));
  }

  private Mono<Void> completeKey(Payout payout, String body) {
    SingleStatement statement = new SingleStatement();
    idempotency.completeIn(statement, payout.merchantId(), payout.idempotencyKey(), payout.id(), CREATED, body, false);
    return statement.execute(db);
  }

  /**
   * Applies what a rail said about a payout: the synchronous answer, a result callback or a status
   * query. Final outcomes go through {@link #settle}; a rail that does not know the payout fails it
   * only once it is older than {@code not-found-after}; anything else changes nothing.
   *
   * @param reportedAmountMinor the amount a success report names, or null; a different amount is
   *     a mismatch and applies nothing (the status query decides later)
   * @return the verdict: {@code applied}, {@code duplicate} (already final), {@code mismatch} or
   *     {@code pending} (nothing final yet)
   */
  Mono<String> apply(Payout payout, PayoutOutcome outcome, Long reportedAmountMinor) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    return switch (outcome) {
      case PayoutOutcome.Paid paid -> reportedAmountMinor != null && reportedAmountMinor != payout.amount().amountMinor()
          ? Mono.just("mismatch")
          : settle(payout.succeeded(paid.railReference(), paid.receipt(), now));
      case PayoutOutcome.Failed failed -> settle(payout.failed(failed.failureCode(), failed.message(), now));
      case PayoutOutcome.NotAttempted notAttempted -> settle(payout.failed("provider_unavailable",
          "The payout could not be sent to " + payout.rail() + "; nothing was paid.", now));
      case PayoutOutcome.NotFound notFound -> payout.createdAt().plus(properties.notFoundAfter()).isBefore(now)
          ? settle(payout.failed("provider_unavailable",
              payout.rail() + " has no record of this payout; nothing was paid.", now))
          : Mono.just("pending");
      case PayoutOutcome.Pending pending -> (pending.railReference() == null ? Mono.<Void>empty()
          : payouts.railReference(payout.id(), pending.railReference())).thenReturn("pending");
      case PayoutOutcome.Unknown unknown -> Mono.just("pending");
    };
  }

  /**
   * Writes a final outcome once: the guarded status change, the ledger entry (payout to the rail's
   * clearing account, or release to available), the event and the key's answer, in one
   * transaction. A payout already final changes nothing.
   */
  private Mono<String> settle(Payout result) {
    boolean paid = Payout.SUCCEEDED.equals(result.status());
    String body = json.writeValueAsString(Payout.View.of(result));
    Mono<String> writes = payouts.resolve(result).flatMap(changed -> !changed ? Mono.just("duplicate")
        : outbox.append(result.id(), result.merchantId(), "payout." + result.status(), result.updatedAt(),
                Payout.View.of(result))
            .then(completeKey(result, body))
            .then(paid ? ledger.postPayout(result.id(), result.merchantId(), result.rail(), result.amount(), result.fee())
                : ledger.postPayoutRelease(result.id(), result.merchantId(), result.total()))
            .thenReturn("applied"));
    return tx.transactional(writes).doOnSuccess(verdict -> outbox.committed());
  }

  /** A pending payout by id for the reconciler and rail results. */
  Mono<Payout> pending(String payoutId) {
    return payouts.findById(payoutId).filter(payout -> Payout.PENDING.equals(payout.status()));
  }
}
