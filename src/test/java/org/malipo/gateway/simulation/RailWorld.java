package org.malipo.gateway.simulation;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.malipo.gateway.rail.AuthorizationOperation;
import org.malipo.gateway.rail.OperationOutcome;
import org.malipo.gateway.rail.RailException;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The outside world of one seed: what each rail received, did and charged (its truth, which the
 * gateway only learns through answers, status queries and callbacks), the rail calls held open,
 * and the callbacks on their way. The scripted rails ask it for every answer; the simulation asks
 * it where the money really is.
 *
 * <p>Called from the gateway's threads; its state is guarded by the instance's monitor, never held
 * across a call out.
 */
final class RailWorld implements ScriptedRail.World {

  /** What the world needs from the simulation. */
  interface Simulation {
    Plan plan(int payment);

    /** Whether {@code paymentId} belongs to this seed (earlier seeds' rails are gone). */
    boolean ours(String paymentId);

    /** The client of {@code payment} hangs up now if its plan says so at {@code stage}. */
    void clientStage(SimTag tag, Plan.Client stage);

    /** Whether a crash is planned at the rail call of this request; consumes it. */
    Plan.Crash crashAtRail(SimTag tag);

    /** The instance dies now. */
    void crash(String where);

    /** The client of a capture or cancel hangs up now if its plan says so. */
    void operationHangUp(SimTag tag);

    /** Whether a crash is planned at this capture or void's acquirer call; consumes it. */
    Plan.Crash operationCrash(SimTag tag);

    boolean dead(SimTag tag);

    void fault(String kind);

    void violation(String text);
  }

  /** One attempt as the rail knows it. */
  static final class Truth {
    final String attemptId;
    final int payment;
    final int number;
    final String rail;
    final boolean card;
    final long amountMinor;
    int requests;
    /** The rail has the request (it may still be working on it). */
    boolean arrived;
    /** The rail has acted on it: decided, or sent the push. */
    boolean processed;
    /** The key was looked up before the request arrived: the rail will refuse it. */
    boolean fenced;
    /** Card: approved; M-Pesa: the customer paid. Null while undecided. */
    Boolean approved;
    int declineCode;
    String reference;
    int queries;
    /** A request that will still arrive (or be finished) later: at step {@code lateRound}, 0 for the interleaving. */
    boolean latePending;
    boolean lateApprove;
    int lateRound;
    /** M-Pesa: the customer has answered. */
    boolean decided;
    boolean flipped;
    /** Card: the capture or void the acquirer applied to this authorization, or null (it is still held). */
    Operation settledBy;

    Truth(String attemptId, int payment, int number, String rail, boolean card, long amountMinor) {
      this.attemptId = attemptId;
      this.payment = payment;
      this.number = number;
      this.rail = rail;
      this.card = card;
      this.amountMinor = amountMinor;
    }

    /** Whether the rail took the customer's money for this attempt. */
    boolean charged() {
      return processed && Boolean.TRUE.equals(approved);
    }
  }

  /** A capture or void as the acquirer knows it, by our operation id (its idempotency key). */
  static final class Operation {
    final String operationId;
    final int payment;
    final boolean capture;
    final long amountMinor;
    int requests;
    boolean applied;
    boolean refused;
    String reference;

    Operation(String operationId, int payment, boolean capture, long amountMinor) {
      this.operationId = operationId;
      this.payment = payment;
      this.capture = capture;
      this.amountMinor = amountMinor;
    }
  }

  /** A rail call held open by a slow rail. */
  static final class Parked {
    final Truth truth;
    final SimTag tag;
    final Plan.Hold hold;
    final Sinks.One<RailOutcome> answer = Sinks.one();
    boolean chainDead;
    boolean released;

    Parked(Truth truth, SimTag tag, Plan.Hold hold) {
      this.truth = truth;
      this.tag = tag;
      this.hold = hold;
    }
  }

  /** A callback on its way to the gateway. */
  record Delivery(String kind, String referenceHint, String body) {}

  private final Simulation simulation;
  private final Map<String, Truth> byAttempt = new ConcurrentHashMap<>();
  private final Map<String, Truth> byReference = new ConcurrentHashMap<>();
  private final Set<String> fencedKeys = ConcurrentHashMap.newKeySet();
  private final Map<String, Operation> operations = new ConcurrentHashMap<>();
  private final List<Parked> parked = new ArrayList<>();
  private final Map<Integer, Deque<Delivery>> network = new ConcurrentHashMap<>();
  /** Per JVM, not per seed: the gateway's database outlives a seed, and a rail reference maps to one attempt. */
  private static final java.util.concurrent.atomic.AtomicLong REFERENCES = new java.util.concurrent.atomic.AtomicLong();

  RailWorld(Simulation simulation) {
    this.simulation = simulation;
  }

  @Override
  public Mono<RailOutcome> authorize(ScriptedRail rail, RailRequest request, SimTag tag) {
    if (tag == null || !SimTag.CLIENT.equals(tag.actor())) {
      simulation.violation("an authorization was sent by " + (tag == null ? "untagged work" : tag.actor()));
      return Mono.error(new IllegalStateException("untagged authorization"));
    }
    if (simulation.dead(tag)) {
      // The process is gone: its request never leaves.
      return Mono.error(FaultyDatabase.instanceGone());
    }
    Plan plan = simulation.plan(tag.payment());
    int number = Integer.parseInt(request.attemptId().substring(request.attemptId().lastIndexOf('_') + 1));
    Truth truth;
    synchronized (this) {
      truth = byAttempt.computeIfAbsent(request.attemptId(), id -> new Truth(id, tag.payment(), number, rail.name(),
          rail.kind() == ScriptedRail.Kind.CARD, request.amount().amountMinor()));
      truth.requests++;
    }
    if (truth.requests > 1) {
      simulation.violation("INVARIANTS 9: attempt " + request.attemptId() + " of payment p" + tag.payment()
          + " was sent to " + rail.name() + " " + truth.requests + " times");
    }
    if (request.amount().amountMinor() != plan.amountMinor || !"KES".equals(request.amount().currency().code())) {
      simulation.violation("INVARIANTS 3: payment p" + tag.payment() + " asked " + rail.name() + " for "
          + request.amount() + ", the client asked for " + plan.amountMinor + " KES");
    }
    simulation.clientStage(tag, Plan.Client.ABORT_AT_RAIL);
    Plan.Attempt script = plan.attempt(number);
    Plan.Crash crash = simulation.crashAtRail(tag);
    if (crash != null) {
      if (crash.after()) {
        synchronized (this) {
          process(truth, script.approve());
        }
      }
      simulation.crash(crash.after() ? "after the rail acted" : "before the rail got the request");
      return Mono.error(FaultyDatabase.instanceGone());
    }
    synchronized (this) {
      if (truth.card && fencedKeys.contains(truth.attemptId)) {
        truth.arrived = true;
        truth.processed = true;
        truth.approved = false;
        simulation.fault("rail:refused-fenced-key");
        return Mono.just(new RailOutcome.NotAttempted(rail.name(), "409 idempotency_key_fenced"));
      }
      if (script.answer() != Plan.Answer.APPROVE && script.answer() != Plan.Answer.DECLINE) {
        simulation.fault("rail:" + script.answer().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
      }
      switch (script.answer()) {
        case APPROVE, DECLINE -> {
          if (!truth.card && script.answer() == Plan.Answer.DECLINE) {
            // Daraja refuses the push itself (e.g. a wallet it cannot prompt): nothing sent.
            return Mono.just(new RailOutcome.Declined(rail.name(), null, "400.002.02", "mobile_money_declined",
                "The wallet cannot be prompted."));
          }
          process(truth, script.answer() == Plan.Answer.APPROVE);
          return Mono.just(answer(rail.name(), truth));
        }
        case NOT_ATTEMPTED -> {
          return Mono.just(new RailOutcome.NotAttempted(rail.name(), "documented not-processed answer"));
        }
        case REFUSED -> {
          return Mono.error(RailException.notCharged("connection refused"));
        }
        case UNKNOWN_UNPROCESSED -> {
          return Mono.just(new RailOutcome.Unknown(rail.name(), "502 from a proxy before the rail"));
        }
        case LOST_ANSWER -> {
          process(truth, script.approve());
          return Mono.error(RailException.mayHaveCharged("connection reset after the request was sent", null));
        }
        case TIMEOUT -> {
          if (script.processed()) {
            process(truth, script.approve());
          }
          return Mono.error(new TimeoutException("simulation: no answer in time"));
        }
        case HELD -> {
          Parked call = new Parked(truth, tag, script.hold());
          if (!truth.card || script.hold().arrives() == 0) {
            // The request is at the rail; a card acquirer decides when released, a push is sent at once.
            truth.arrived = true;
            if (!truth.card) {
              process(truth, script.approve());
            }
          }
          parked.add(call);
          return call.answer.asMono();
        }
        default -> throw new IllegalStateException("unscripted answer " + script.answer());
      }
    }
  }

  /** The rail acts on the request: a card is approved or declined, a push is sent (the customer answers later). */
  private void process(Truth truth, boolean approve) {
    if (truth.processed) {
      return;
    }
    truth.arrived = true;
    truth.processed = true;
    if (truth.card && fencedKeys.contains(truth.attemptId)) {
      truth.approved = false;
      return;
    }
    truth.reference = (truth.card ? "sim-auth-" : "ws_CO_sim") + REFERENCES.incrementAndGet();
    byReference.put(truth.reference, truth);
    if (truth.card) {
      truth.approved = approve;
    }
  }

  private static RailOutcome answer(String rail, Truth truth) {
    if (!truth.card) {
      return new RailOutcome.Pending(rail, truth.reference);
    }
    return Boolean.TRUE.equals(truth.approved)
        ? new RailOutcome.Approved(rail, truth.reference, "00")
        : new RailOutcome.Declined(rail, truth.reference, "05", "card_declined", "The card was declined.");
  }

  @Override
  public Mono<RailOutcome> query(ScriptedRail rail, String key, SimTag tag) {
    synchronized (this) {
      Truth truth = key == null ? null : rail.kind() == ScriptedRail.Kind.CARD
          ? byAttempt.getOrDefault(key, byReference.get(key)) : byReference.get(key);
      if (truth == null || !truth.rail.equals(rail.name())) {
        if (rail.kind() == ScriptedRail.Kind.MPESA) {
          return Mono.error(new IllegalStateException("500.001.1001 the transaction is being processed or not found"));
        }
        if (key == null || !key.startsWith("att_")
            || !simulation.ours("pay_" + key.substring(4, key.lastIndexOf('_')))) {
          // An earlier seed's attempt: that world is gone, and so is its answer.
          return Mono.just(new RailOutcome.Unknown(rail.name(), "not this seed's rail"));
        }
        // The acquirer never saw this key: it says so, and fences it (as the sandbox acquirer does).
        fencedKeys.add(key);
        simulation.fault("rail:fenced-key");
        return Mono.just(new RailOutcome.NotAttempted(rail.name(), "404 unknown_idempotency_key"));
      }
      Plan plan = simulation.plan(truth.payment);
      int asked = truth.queries++;
      if (plan.queriesNeverAnswer) {
        simulation.fault("query:never-answers");
        return Mono.just(new RailOutcome.Unknown(rail.name(), "look-up unavailable"));
      }
      if (asked < plan.queryPrefix.size()) {
        Plan.Query before = plan.queryPrefix.get(asked);
        simulation.fault("query:" + before.name().toLowerCase(java.util.Locale.ROOT));
        return switch (before) {
          case ERROR -> Mono.error(new IllegalStateException("503 from the look-up"));
          case UNKNOWN -> Mono.just(new RailOutcome.Unknown(rail.name(), "look-up timed out"));
          case PENDING -> Mono.just(new RailOutcome.Pending(rail.name(), truth.reference));
        };
      }
      if (truth.card) {
        if (!truth.arrived) {
          fencedKeys.add(truth.attemptId);
          truth.fenced = true;
          simulation.fault("rail:fenced-key");
          return Mono.just(new RailOutcome.NotAttempted(rail.name(), "404 unknown_idempotency_key"));
        }
        if (!truth.processed) {
          return Mono.just(new RailOutcome.Pending(rail.name(), truth.reference));
        }
        return Mono.just(truth.reference == null
            ? new RailOutcome.NotAttempted(rail.name(), "refused: key fenced")
            : answer(rail.name(), truth));
      }
      if (!truth.decided) {
        return Mono.just(new RailOutcome.Pending(rail.name(), truth.reference));
      }
      return Mono.just(Boolean.TRUE.equals(truth.approved)
          ? new RailOutcome.Approved(rail.name(), truth.reference, "0")
          : new RailOutcome.Declined(rail.name(), truth.reference, Integer.toString(truth.declineCode),
              "mobile_money_declined", "The customer did not approve the payment."));
    }
  }

  @Override
  public Mono<OperationOutcome> operate(ScriptedRail rail, AuthorizationOperation request, SimTag tag) {
    if (tag != null && simulation.dead(tag)) {
      return Mono.error(FaultyDatabase.instanceGone());
    }
    boolean capture = request.kind() == AuthorizationOperation.Kind.CAPTURE;
    Operation operation;
    Plan.OpAnswer script;
    Truth authorization;
    synchronized (this) {
      authorization = request.authorizationReference() == null ? null : byReference.get(request.authorizationReference());
      if (authorization == null || !authorization.card || !authorization.charged() || !authorization.rail.equals(rail.name())) {
        simulation.violation("INVARIANTS 5: a " + request.kind().wireName() + " of payment " + request.paymentId()
            + " was sent to " + rail.name() + " for an authorization it never approved: " + request.authorizationReference());
        return Mono.just(new OperationOutcome.Refused(rail.name(), "12", "invalid transaction"));
      }
      boolean first = operations.values().stream().noneMatch(o -> o.payment == authorization.payment);
      operation = operations.computeIfAbsent(request.operationId(), id -> new Operation(id, authorization.payment, capture,
          request.amount().amountMinor()));
      operation.requests++;
      if (operation.requests > 1) {
        simulation.violation("INVARIANTS 9: " + request.kind().wireName() + " " + request.operationId() + " of payment p"
            + authorization.payment + " was sent to " + rail.name() + " " + operation.requests + " times");
      }
      if (request.amount().amountMinor() > authorization.amountMinor || request.amount().amountMinor() <= 0
          || !capture && request.amount().amountMinor() != authorization.amountMinor) {
        simulation.violation("INVARIANTS 3: a " + request.kind().wireName() + " of payment p" + authorization.payment
            + " for " + request.amount() + " of an authorization of " + authorization.amountMinor);
      }
      script = first ? simulation.plan(authorization.payment).opAnswer : Plan.OpAnswer.DONE;
    }
    simulation.operationHangUp(tag);
    Plan.Crash crash = simulation.operationCrash(tag);
    if (crash != null) {
      if (crash.after()) {
        synchronized (this) {
          apply(operation, authorization);
        }
      }
      simulation.crash(crash.after() ? "after the acquirer applied the " + request.kind().wireName()
          : "before the acquirer got the " + request.kind().wireName());
      return Mono.error(FaultyDatabase.instanceGone());
    }
    Plan plan = simulation.plan(authorization.payment);
    synchronized (this) {
      if (script != Plan.OpAnswer.DONE) {
        simulation.fault("acquirer:" + request.kind().wireName() + "-" + script.name().toLowerCase(java.util.Locale.ROOT)
            .replace('_', '-'));
      }
      return switch (script) {
        case DONE -> Mono.just(apply(operation, authorization));
        case LOST_ANSWER -> {
          apply(operation, authorization);
          yield Mono.error(RailException.mayHaveCharged("connection reset after the " + request.kind().wireName(), null));
        }
        case TIMEOUT -> {
          if (plan.opProcessed) {
            apply(operation, authorization);
          }
          yield Mono.error(new TimeoutException("simulation: no answer to the " + request.kind().wireName()));
        }
        case NOT_ATTEMPTED -> Mono.just(new OperationOutcome.NotAttempted(rail.name(), "96 system malfunction, not processed"));
        case REFUSED -> {
          operation.refused = true;
          yield Mono.just(new OperationOutcome.Refused(rail.name(), "05", "do not honour"));
        }
      };
    }
  }

  /** The acquirer applies a capture or void, once per authorization; a second one is refused ("12"). */
  private OperationOutcome apply(Operation operation, Truth authorization) {
    if (operation.applied) {
      return new OperationOutcome.Done(authorization.rail, operation.reference, "00");
    }
    if (operation.refused || authorization.settledBy != null) {
      operation.refused = true;
      return new OperationOutcome.Refused(authorization.rail, "12", "invalid transaction: already completed or reversed");
    }
    operation.applied = true;
    operation.reference = (operation.capture ? "sim-cmp-" : "sim-rev-") + REFERENCES.incrementAndGet();
    authorization.settledBy = operation;
    return new OperationOutcome.Done(authorization.rail, operation.reference, "00");
  }

  @Override
  public Mono<OperationOutcome> queryOperation(ScriptedRail rail, AuthorizationOperation request) {
    synchronized (this) {
      Operation operation = operations.get(request.operationId());
      if (operation == null || !operation.applied && !operation.refused) {
        // Never received, or received and not processed: the look-up says so and fences the key.
        fencedKeys.add(request.operationId());
        simulation.fault("acquirer:operation-key-fenced");
        return Mono.just(new OperationOutcome.NotAttempted(rail.name(), "404 unknown_idempotency_key"));
      }
      return Mono.just(operation.applied ? new OperationOutcome.Done(rail.name(), operation.reference, "00")
          : new OperationOutcome.Refused(rail.name(), "05", "do not honour"));
    }
  }

  // ---- the simulation's side ----

  /** Rail calls held open, oldest first (ordered by payment and attempt, never by id). */
  synchronized List<Parked> parked() {
    List<Parked> open = new ArrayList<>();
    for (Parked call : parked) {
      if (!call.released) {
        open.add(call);
      }
    }
    open.sort(Comparator.comparingInt((Parked call) -> call.truth.payment).thenComparingInt(call -> call.truth.number));
    return open;
  }

  /** Calls whose chain still waits for the answer: the pipeline is parked in them. */
  synchronized int parkedAlive() {
    int alive = 0;
    for (Parked call : parked) {
      if (!call.released && !call.chainDead) {
        alive++;
      }
    }
    return alive;
  }

  /** Whether a chain of {@code payment} waits in a held call. */
  synchronized boolean parkedAlive(int payment) {
    for (Parked call : parked) {
      if (!call.released && !call.chainDead && call.truth.payment == payment) {
        return true;
      }
    }
    return false;
  }

  /** The instance died: every held call's chain is gone; the rail goes on with the requests. */
  void chainsDied(int incarnation) {
    List<Parked> dying = new ArrayList<>();
    synchronized (this) {
      for (Parked call : parked) {
        if (!call.released && !call.chainDead && call.tag.incarnation() < incarnation) {
          call.chainDead = true;
          dying.add(call);
        }
      }
    }
    dying.forEach(call -> call.answer.tryEmitError(FaultyDatabase.instanceGone()));
  }

  /**
   * Releases a held call: the rail answers it now, or the gateway's call times out (the rail may
   * still act on the request later).
   */
  void release(Parked call, int lateRound) {
    RailOutcome outcome = null;
    synchronized (this) {
      call.released = true;
      Truth truth = call.truth;
      if (call.hold.deliver()) {
        if (truth.card) {
          process(truth, call.hold.approve());
        }
        outcome = answer(truth.rail, truth);
      } else if (truth.card && call.hold.arrives() < 2) {
        // Still at the rail (or on its way): it acts later.
        truth.latePending = true;
        truth.lateApprove = call.hold.approve();
        truth.lateRound = lateRound;
      }
    }
    if (call.chainDead) {
      return;
    }
    simulation.fault(call.hold.deliver() ? "rail:late-answer" : "rail:timeout-while-held");
    if (outcome != null) {
      call.answer.tryEmitValue(outcome);
    } else {
      call.answer.tryEmitError(new TimeoutException("simulation: the held call timed out"));
    }
  }

  /** Requests still to arrive late, in (payment, attempt) order. */
  synchronized List<Truth> latePending() {
    return byAttempt.values().stream().filter(truth -> truth.latePending)
        .sorted(Comparator.comparingInt((Truth truth) -> truth.payment).thenComparingInt(truth -> truth.number))
        .toList();
  }

  /** A late request reaches the rail and is acted on (refused if its key was fenced meanwhile). */
  synchronized void arriveLate(Truth truth) {
    truth.latePending = false;
    simulation.fault("rail:late-arrival");
    if (fencedKeys.contains(truth.attemptId)) {
      truth.arrived = true;
      truth.processed = true;
      truth.approved = false;
      simulation.fault("rail:late-request-refused-fenced");
      return;
    }
    process(truth, truth.lateApprove);
  }

  /** Pushes sent whose customer has not answered, in (payment, attempt) order. */
  synchronized List<Truth> undecided() {
    return byAttempt.values().stream().filter(truth -> !truth.card && truth.processed && !truth.decided)
        .sorted(Comparator.comparingInt((Truth truth) -> truth.payment).thenComparingInt(truth -> truth.number))
        .toList();
  }

  /**
   * The customer answers the prompt; the rail sends its callback(s), with the disorder the plan
   * asks for.
   */
  void decide(Truth truth, Plan plan) {
    Deque<Delivery> out = network.computeIfAbsent(truth.payment, payment -> new ArrayDeque<>());
    synchronized (this) {
      truth.decided = true;
      truth.approved = plan.customer == Plan.Customer.PAYS;
      truth.declineCode = switch (plan.customer) {
        case PAYS -> 0;
        case EXPIRES -> 1037;
        default -> 1032;
      };
      if (plan.customer == Plan.Customer.FLIPS) {
        // A payment or a refusal is a rail answer like an approval or a decline, not a fault.
        simulation.fault("customer:refused-then-paid");
      }
      if (plan.callbacks.contains(Plan.Callback.REORDERED) && truth.approved) {
        out.add(new Delivery("reordered-failure", truth.attemptId,
            ScriptedRail.callbackBody(truth.reference, 1032, truth.amountMinor, plan.msisdn())));
      }
      if (!plan.callbacks.contains(Plan.Callback.LOST)) {
        out.add(trueCallback(truth, plan));
        if (plan.callbacks.contains(Plan.Callback.DUPLICATE)) {
          out.add(new Delivery("duplicate", truth.attemptId, trueCallback(truth, plan).body()));
        }
      } else {
        simulation.fault("callback:lost");
      }
      if (plan.callbacks.contains(Plan.Callback.AMOUNT_MISMATCH)) {
        out.add(new Delivery("amount-mismatch", truth.attemptId,
            ScriptedRail.callbackBody(truth.reference, 0, truth.amountMinor + 100, plan.msisdn())));
      }
    }
  }

  /** A push the customer refused is paid after all (late funds): the rail says so in a callback. */
  void flip(Truth truth, Plan plan) {
    synchronized (this) {
      truth.flipped = true;
      truth.approved = true;
      truth.declineCode = 0;
      network.computeIfAbsent(truth.payment, payment -> new ArrayDeque<>()).add(trueCallback(truth, plan));
    }
  }

  /** The callback the rail sends for the truth as it stands. */
  Delivery trueCallback(Truth truth, Plan plan) {
    return new Delivery("rail", truth.attemptId, ScriptedRail.callbackBody(truth.reference,
        Boolean.TRUE.equals(truth.approved) ? 0 : truth.declineCode, truth.amountMinor, plan.msisdn()));
  }

  /** The next callback on its way for {@code payment}, or null. */
  synchronized Delivery nextCallback(int payment) {
    Deque<Delivery> out = network.get(payment);
    return out == null ? null : out.poll();
  }

  /** Payments with callbacks on their way. */
  synchronized List<Integer> withCallbacks() {
    return network.entrySet().stream().filter(entry -> !entry.getValue().isEmpty()).map(Map.Entry::getKey).sorted()
        .toList();
  }

  /** Every attempt the rails saw for {@code payment}, by number. */
  synchronized List<Truth> attempts(int payment) {
    return byAttempt.values().stream().filter(truth -> truth.payment == payment)
        .sorted(Comparator.comparingInt(truth -> truth.number)).toList();
  }

  /** Every capture or void the acquirer received for {@code payment}. */
  synchronized List<Operation> operations(int payment) {
    return operations.values().stream().filter(operation -> operation.payment == payment)
        .sorted(Comparator.comparing(operation -> operation.operationId)).toList();
  }

  /** The attempt with this id, or null. */
  Truth attempt(String attemptId) {
    return byAttempt.get(attemptId);
  }
}
