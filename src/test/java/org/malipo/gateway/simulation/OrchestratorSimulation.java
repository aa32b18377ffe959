package org.malipo.gateway.simulation;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.malipo.gateway.callback.SimulationCallbacks;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.payment.SimulationPayments;
import org.malipo.gateway.simulation.FaultyDatabase.Fault;
import org.malipo.gateway.simulation.FaultyDatabase.Kind;
import org.springframework.context.ApplicationContext;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * One seed of the orchestrator simulation (docs/simulation.md): in the manner of TigerBeetle's
 * VOPR, the seed decides everything that can happen to a set of payments, and the real gateway
 * ({@link SimulationInstance}: the production pipeline, one writer, reconciler and callback
 * processor on the real PostgreSQL) lives through it; afterwards the money invariants are checked
 * against both the database and the rails' own truth ({@link RailWorld}).
 *
 * <p>Payments run in batches. For each batch: every payment is posted in turn and runs until it is
 * final, waiting on a held rail call, or dead with its instance (phase A); then a seeded
 * interleaving of the batch's pending events runs one at a time, each to quiescence (phase B):
 * held rail answers released or timed out, requests reaching the rail late, customers answering
 * pushes, callbacks (the rail's, duplicated, reordered, late, forged, with another amount),
 * reconciler and callback-processor passes, client retries with the same key and instance
 * crashes, 3-D Secure results (and their replays, or a cancel) and the capture or void of a held
 * authorization (issue 20); then settling rounds in which time passes, the reconciler and the callback processor
 * run (phase C); then the exception window passes (phase D); then late callbacks and a final
 * retry of every client (phase E); then the checks (phase F), which also run after every step.
 *
 * <p>Everything a run decides comes from the seed, and every step waits until the gateway is
 * quiet, so a seed replays the same decisions and the same observable outcomes: the trace
 * (statuses by payment index, answers, verdicts; never ids or times) hashes the same.
 */
final class OrchestratorSimulation implements FaultyDatabase.Hook, RailWorld.Simulation {

  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration QUERY = Duration.ofSeconds(30);
  private static final int SETTLE_ROUNDS = 5;
  private static final int DEADLINE_PASSES = 6;
  /** Requests of a 3-D Secure result are numbered from here, a capture's or cancel's from {@link #OP_REQUEST}. */
  static final int AUTH_REQUEST = 500;
  static final int OP_REQUEST = 1000;
  /** Past {@code malipo.payments.authorization-ttl} (7 days) and the authentication timeout (10 min). */
  private static final Duration HOLD_AGE = Duration.ofDays(8);
  private static final Duration CHALLENGE_AGE = Duration.ofMinutes(11);

  /** What one seed did. */
  record Report(long seed, int payments, int steps, Map<String, Long> faults, long checks, Map<String, Long> notes,
      String traceHash, List<String> violations, List<String> trace) {}

  /** One client and its payment. */
  final class Run {
    final Plan plan;
    final String merchantId;
    final String key = "sim-" + Ids.next("key");
    final List<SimulationPayments.Answer> answers = new CopyOnWriteArrayList<>();
    final Map<Kind, Integer> faultsLeft = new EnumMap<>(Kind.class);
    /** Every payment id the client's requests minted (a replayed request mints one it never writes). */
    final java.util.Set<String> paymentIds = ConcurrentHashMap.newKeySet();
    volatile Disposable client;
    volatile boolean abortRequested;
    /** No request of this client is waiting for its answer. */
    volatile boolean done = true;
    volatile boolean aborted;
    volatile boolean lost;
    int answersTraced;
    boolean lostTraced;
    boolean crashPending;
    int requests;
    boolean retried;
    boolean forgedUnknownSent;
    boolean forgedOtherSent;
    boolean trueCallbackDelivered;
    /** The payment as the last snapshot saw it. */
    volatile String paymentId;
    volatile String status;
    // Issue 20: the capture or cancel (one key), the 3-D Secure result(s).
    final String opKey = "sim-op-" + Ids.next("key");
    final List<SimulationPayments.Answer> opAnswers = new CopyOnWriteArrayList<>();
    final List<String> authAnswers = new CopyOnWriteArrayList<>();
    volatile Disposable opClient;
    volatile boolean opAbortRequested;
    int opAnswersTraced;
    int authAnswersTraced;
    int opRequests;
    int authRequests;
    boolean opCapture;
    boolean opRetried;
    boolean opHungUp;
    boolean opCrashPending;
    int opFaultLeft;
    boolean challengeAnswered;
    String challengeToken;
    boolean replaySent;

    Run(Plan plan, String merchantId) {
      this.plan = plan;
      this.merchantId = merchantId;
      if (plan.syncFault != null) {
        faultsLeft.put(plan.syncFault.kind(), plan.syncFault.times());
      }
      crashPending = plan.crash != null;
      opCrashPending = plan.opCrash != null;
      opFaultLeft = plan.opFault == null ? 0 : plan.opFault.times();
    }

    SimTag tag(int request) {
      return new SimTag(plan.index, incarnation.get(), SimTag.CLIENT, plan.redisDown && request == 0, request);
    }
  }

  private final SimulationInstance gateway;
  private final ApplicationContext context;
  private final DatabaseClient db;
  private final long seed;
  private final int paymentCount;
  private final SplittableRandom random;
  private final AtomicInteger incarnation = new AtomicInteger();
  private final Map<Integer, Run> runs = new ConcurrentHashMap<>();
  private final Map<String, Integer> paymentIndex = new ConcurrentHashMap<>();
  private final Map<Integer, Integer> settleFaultsLeft = new ConcurrentHashMap<>();
  private final Map<String, Long> faults = new ConcurrentHashMap<>();
  /** Inbox rows whose attempt the gateway could find when they came in. */
  private final List<Long> findable = new ArrayList<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private final List<String> trace = new ArrayList<>();
  private final RailWorld world = new RailWorld(this);
  private final Invariants invariants;
  private final String[] merchants = new String[2];
  private int steps;
  private boolean pastDeadline;

  OrchestratorSimulation(SimulationInstance gateway, long seed, int paymentCount) {
    this.gateway = gateway;
    this.context = gateway.context();
    this.db = gateway.db();
    this.seed = seed;
    this.paymentCount = paymentCount;
    this.random = new SplittableRandom(seed);
    this.invariants = new Invariants(db, world, this::violation);
  }

  /** Runs the seed to its end (stopping at the first step that breaks an invariant). */
  Report run() {
    long redisFailedBefore = gateway.redis().failed();
    gateway.world(world);
    gateway.database().hook(this);
    try {
      for (int i = 0; i < merchants.length; i++) {
        merchants[i] = Ids.next("mer");
        db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Simulation merchant', 'KE')")
            .bind("id", merchants[i]).then().block(QUERY);
      }
      invariants.merchants(merchants);
      int index = 0;
      while (index < paymentCount && violations.isEmpty()) {
        SplittableRandom batchRandom = random.split();
        int size = Math.min(paymentCount - index, 3 + batchRandom.nextInt(6));
        List<Run> batch = new ArrayList<>();
        for (int i = 0; i < size; i++) {
          Plan plan = new Plan(index + i, batchRandom.split());
          Run run = new Run(plan, merchants[(index + i) % merchants.length]);
          runs.put(plan.index, run);
          batch.add(run);
          if (plan.settleFault != null) {
            settleFaultsLeft.put(plan.index, plan.settleFault.times());
          }
          trace("p" + plan.index + " plan " + plan.summary());
        }
        batch(batch, batchRandom);
        index += size;
      }
      if (violations.isEmpty()) {
        invariants.wholeLedger();
      }
    } finally {
      gateway.database().hook(null);
    }
    long redisFailed = gateway.redis().failed() - redisFailedBefore;
    if (redisFailed > 0) {
      faults.put("redis:command-failed", redisFailed);
    }
    return new Report(seed, runs.size(), steps, new java.util.TreeMap<>(faults), invariants.checks(),
        Map.copyOf(invariants.notes()), hash(trace),
        List.copyOf(violations), List.copyOf(trace));
  }

  private void batch(List<Run> batch, SplittableRandom random) {
    pastDeadline = false;
    // Phase A: each client posts its payment.
    for (Run run : batch) {
      post(run, 0);
      quiet(batch);
      if (!violations.isEmpty()) {
        return;
      }
    }
    snapshot("posted", batch);
    // Phase B: a seeded interleaving of what is pending, one event at a time.
    int reconciles = random.nextInt(4);
    boolean crash = random.nextInt(100) < 25;
    while (violations.isEmpty()) {
      List<Event> ready = ready(batch, reconciles, crash, random);
      if (ready.isEmpty()) {
        break;
      }
      Event event = ready.get(random.nextInt(ready.size()));
      if (event.name().equals("reconcile")) {
        reconciles--;
      }
      if (event.name().equals("crash")) {
        crash = false;
      }
      event.action().run();
      quiet(batch);
      snapshot(event.name(), batch);
    }
    // Phase C: time passes; the reconciler and the callback processor settle what they can.
    for (int round = 1; round <= SETTLE_ROUNDS && violations.isEmpty(); round++) {
      for (RailWorld.Truth late : world.latePending()) {
        if (late.lateRound <= round) {
          world.arriveLate(late);
        }
      }
      for (RailWorld.Truth push : world.undecided()) {
        Plan plan = plan(push.payment);
        if (plan.customer != Plan.Customer.NEVER && plan.customerRound <= round) {
          world.decide(push, plan);
        }
      }
      for (Run run : batch) {
        for (RailWorld.Truth truth : world.attempts(run.plan.index)) {
          if (run.plan.customer == Plan.Customer.FLIPS && truth.decided && !truth.flipped && round >= 3) {
            world.flip(truth, run.plan);
          }
        }
      }
      deliverAll(batch);
      settle("round " + round, batch);
    }
    // Phase D: the exception window passes; what is still open must become visible.
    if (violations.isEmpty()) {
      world.undecided().stream().filter(push -> batch.contains(runs.get(push.payment)))
          .forEach(push -> fault("customer:never-answered"));
      Duration window = SimulationCallbacks.unconfirmedWindow(context).plusHours(1);
      db.sql("UPDATE payments SET created_at = created_at - CAST(:ms AS bigint) * interval '1 millisecond'"
              + " WHERE status IN ('processing', 'pending') AND idempotency_key = ANY(:keys)")
          .bind("ms", window.toMillis()).bind("keys", keys(batch)).then().block(QUERY);
      db.sql("UPDATE inbox SET received_at = received_at - CAST(:ms AS bigint) * interval '1 millisecond'"
              + " WHERE verdict IS NULL")
          .bind("ms", window.toMillis()).then().block(QUERY);
      // A few more passes, as long as something of the batch is open: a report confirmed only
      // after its query's prefix and its database faults needs up to six.
      for (int pass = 1; pass <= DEADLINE_PASSES && violations.isEmpty(); pass++) {
        // Holds past the authorization TTL are voided (expired); challenges past the
        // authentication timeout fail: both by the reconciler's pass.
        long expiring = db.sql("""
                UPDATE payments SET authorized_at = authorized_at - CAST(:ms AS bigint) * interval '1 millisecond'
                WHERE status = 'requires_capture' AND idempotency_key = ANY(:keys)""")
            .bind("ms", HOLD_AGE.toMillis()).bind("keys", keys(batch)).fetch().rowsUpdated().block(QUERY);
        long unanswered = db.sql("""
                UPDATE payments SET updated_at = updated_at - CAST(:ms AS bigint) * interval '1 millisecond'
                WHERE status = 'requires_action' AND idempotency_key = ANY(:keys)""")
            .bind("ms", CHALLENGE_AGE.toMillis()).bind("keys", keys(batch)).fetch().rowsUpdated().block(QUERY);
        for (long i = 0; i < expiring; i++) {
          fault("time:authorization-expired");
        }
        for (long i = 0; i < unanswered; i++) {
          fault("time:authentication-timed-out");
        }
        settle("window passed " + pass, batch);
        if (pass >= 2 && settled(batch)) {
          break;
        }
      }
    }
    // Phase E: late callbacks, then every client retries with its key.
    if (violations.isEmpty()) {
      pastDeadline = true;
      for (Run run : batch) {
        if (run.plan.callbacks.contains(Plan.Callback.LATE)) {
          for (RailWorld.Truth truth : world.attempts(run.plan.index)) {
            if (!truth.card && truth.decided) {
              fault("callback:late");
              receive(world.trueCallback(truth, run.plan));
            }
          }
        }
      }
      drain();
      for (Run run : batch) {
        post(run, ++run.requests);
        quiet(batch);
        if (run.opRequests > 0) {
          operate(run, run.opCapture);
          quiet(batch);
        }
      }
      snapshot("final retries", batch);
    }
    // Phase F: the checks of the batch's payments.
    if (violations.isEmpty()) {
      invariants.batch(batch, findable);
      invariants.global();
    }
  }

  /** A step of phase B. */
  private record Event(String name, Runnable action) {}

  private List<Event> ready(List<Run> batch, int reconciles, boolean crash, SplittableRandom random) {
    List<Event> ready = new ArrayList<>();
    for (RailWorld.Parked call : world.parked()) {
      ready.add(new Event("release p" + call.truth.payment + "/" + call.truth.number, () -> world.release(call,
          random.nextInt(100) < 40 ? 2 : 0)));
    }
    for (RailWorld.Truth late : world.latePending()) {
      if (late.lateRound == 0) {
        ready.add(new Event("late arrival p" + late.payment + "/" + late.number, () -> world.arriveLate(late)));
      }
    }
    for (RailWorld.Truth push : world.undecided()) {
      Plan plan = plan(push.payment);
      if (plan.customer != Plan.Customer.NEVER && plan.customerRound == 0) {
        ready.add(new Event("customer p" + push.payment, () -> world.decide(push, plan)));
      }
    }
    for (int payment : world.withCallbacks()) {
      ready.add(new Event("callback p" + payment, () -> {
        RailWorld.Delivery delivery = world.nextCallback(payment);
        if (delivery != null) {
          receive(delivery);
          drain();
        }
      }));
    }
    for (Run run : batch) {
      if (run.plan.callbacks.contains(Plan.Callback.FORGED_UNKNOWN) && !run.forgedUnknownSent) {
        ready.add(new Event("forged p" + run.plan.index, () -> {
          run.forgedUnknownSent = true;
          fault("callback:forged-unknown-reference");
          receive(new RailWorld.Delivery("forged", null,
              ScriptedRail.callbackBody("ws_CO_forged" + seed + "_" + run.plan.index, 0, run.plan.amountMinor,
                  run.plan.msisdn())));
          drain();
        }));
      }
      if (run.plan.callbacks.contains(Plan.Callback.FORGED_OTHER) && !run.forgedOtherSent) {
        RailWorld.Truth other = otherPush(batch, run);
        if (other != null) {
          ready.add(new Event("forged p" + run.plan.index + " naming p" + other.payment, () -> {
            run.forgedOtherSent = true;
            fault("callback:forged-other-payment");
            receive(new RailWorld.Delivery("forged", null, ScriptedRail.callbackBody(other.reference, 0,
                other.amountMinor, plan(other.payment).msisdn())));
            drain();
          }));
        }
      }
      boolean unanswered = run.lost || run.answers.isEmpty() || run.answers.getLast().status() >= 500;
      if (run.done && !run.retried && (run.plan.earlyRetry || unanswered)) {
        ready.add(new Event("retry p" + run.plan.index, () -> {
          run.retried = true;
          post(run, ++run.requests);
        }));
      }
    }
    for (Run run : batch) {
      heldEvents(run, ready);
    }
    if (reconciles > 0) {
      ready.add(new Event("reconcile", () -> settle("reconcile", batch)));
    }
    if (crash) {
      ready.add(new Event("crash", () -> crash("between steps")));
    }
    return ready;
  }

  /** Issue 20's events of one payment: its 3-D Secure result, its capture or cancel, their retries. */
  private void heldEvents(Run run, List<Event> ready) {
    if (!run.done || run.paymentId == null) {
      return;
    }
    Plan plan = run.plan;
    String p = "p" + plan.index;
    if (plan.challenge != null && "requires_action".equals(run.status) && !run.challengeAnswered
        && plan.challenge != Plan.Challenge.TIMEOUT) {
      ready.add(new Event("3ds " + plan.challenge.name().toLowerCase(java.util.Locale.ROOT) + " " + p, () -> {
        run.challengeAnswered = true;
        switch (plan.challenge) {
          case COMPLETE, REPLAYED -> {
            run.challengeToken = SimulationPayments.authenticationResult(context, run.paymentId, true);
            authenticate(run, run.challengeToken);
          }
          case FAIL -> authenticate(run, SimulationPayments.authenticationResult(context, run.paymentId, false));
          case CANCEL -> operate(run, false);
          default -> throw new IllegalStateException("no event for " + plan.challenge);
        }
      }));
    }
    if (plan.challenge == Plan.Challenge.REPLAYED && run.challengeToken != null && !run.replaySent) {
      ready.add(new Event("3ds result replayed " + p, () -> {
        run.replaySent = true;
        fault("3ds:result-replayed");
        authenticate(run, run.challengeToken);
      }));
    }
    if (plan.manual && "requires_capture".equals(run.status) && run.opRequests == 0 && plan.held != Plan.Held.EXPIRE) {
      ready.add(new Event((plan.held == Plan.Held.VOID ? "void " : "capture ") + p, () -> operate(run,
          plan.held != Plan.Held.VOID)));
    }
    if (run.opRequests > 0 && plan.opRetry && !run.opRetried) {
      ready.add(new Event("operation retry " + p, () -> {
        run.opRetried = true;
        fault("client:operation-retried-same-key");
        operate(run, run.opCapture);
      }));
    }
  }

  /** The merchant captures or cancels the payment (one Idempotency-Key for all its tries). */
  private void operate(Run run, boolean capture) {
    SimTag tag = new SimTag(run.plan.index, incarnation.get(), SimTag.CLIENT, false, OP_REQUEST + run.opRequests++);
    run.opCapture = capture;
    run.done = false;
    run.opAbortRequested = false;
    String body = capture && run.plan.held == Plan.Held.CAPTURE_PARTIAL ? "{\"amount\": " + run.plan.captureMinor + "}"
        : "{}";
    Disposable subscription = SimulationPayments.operate(context, run.merchantId, run.paymentId, run.opKey, capture, body)
        .contextWrite(Context.of(SimTag.class, tag))
        .subscribe(answer -> {
          if (!dead(tag)) {
            run.opAnswers.add(answer);
          }
          run.done = true;
        }, error -> {
          if (!dead(tag)) {
            violation("INVARIANTS 17: the " + (capture ? "capture" : "cancel") + " of p" + run.plan.index
                + " answered with a raw error (a 500): " + error);
          }
          run.done = true;
        });
    run.opClient = subscription;
    if (run.opAbortRequested) {
      subscription.dispose();
    }
  }

  /** The customer's browser brings a signed 3-D Secure result back to the gateway. */
  private void authenticate(Run run, String token) {
    SimTag tag = new SimTag(run.plan.index, incarnation.get(), SimTag.CLIENT, false, AUTH_REQUEST + run.authRequests++);
    run.done = false;
    SimulationPayments.authenticate(context, token)
        .contextWrite(Context.of(SimTag.class, tag))
        .subscribe(result -> {
          if (!dead(tag)) {
            run.authAnswers.add(result);
          }
          run.done = true;
        }, error -> {
          if (!dead(tag)) {
            violation("INVARIANTS 17: the 3-D Secure result of p" + run.plan.index + " answered with a raw error: " + error);
          }
          run.done = true;
        });
  }

  @Override
  public void operationHangUp(SimTag tag) {
    Run run = tag == null || !SimTag.CLIENT.equals(tag.actor()) ? null : runs.get(tag.payment());
    if (run == null || tag.request() != OP_REQUEST || !run.plan.opHangUp || run.opHungUp) {
      return;
    }
    run.opHungUp = true;
    run.opAbortRequested = true;
    fault("client:hung-up-operation");
    Disposable subscription = run.opClient;
    if (subscription != null) {
      subscription.dispose();
    }
    run.done = true;
  }

  @Override
  public Plan.Crash operationCrash(SimTag tag) {
    Run run = tag == null || !SimTag.CLIENT.equals(tag.actor()) ? null : runs.get(tag.payment());
    if (run == null || tag.request() != OP_REQUEST) {
      return null;
    }
    synchronized (run) {
      if (!run.opCrashPending) {
        return null;
      }
      run.opCrashPending = false;
      return run.plan.opCrash;
    }
  }

  /** A push of another payment of the batch that the rail sent, for a forger to name. */
  private RailWorld.Truth otherPush(List<Run> batch, Run forger) {
    for (Run run : batch) {
      if (run != forger) {
        for (RailWorld.Truth truth : world.attempts(run.plan.index)) {
          if (!truth.card && truth.reference != null) {
            return truth;
          }
        }
      }
    }
    return null;
  }

  // ---- the client ----

  private void post(Run run, int request) {
    SimTag tag = run.tag(request);
    run.done = false;
    run.aborted = false;
    run.lost = false;
    run.abortRequested = false;
    run.lostTraced = false;
    Disposable subscription = SimulationPayments.create(context, run.merchantId, run.key, run.plan.body())
        .contextWrite(Context.of(SimTag.class, tag))
        .subscribe(answer -> {
          if (dead(tag)) {
            run.lost = true;
          } else {
            run.answers.add(answer);
          }
          run.done = true;
        }, error -> {
          if (dead(tag)) {
            run.lost = true;
          } else {
            violation("INVARIANTS 17: payment p" + run.plan.index + " answered with a raw error (a 500): " + error);
          }
          run.done = true;
        });
    run.client = subscription;
    if (run.abortRequested) {
      subscription.dispose();
    }
  }

  private static String describe(SimulationPayments.Answer answer) {
    if (answer.body() == null) {
      return answer.status() + " " + answer.code() + (answer.paymentId() != null ? " with payment_id" : "");
    }
    String status = answer.body().replaceAll(".*\"status\":\"([a-z_]+)\".*", "$1");
    return answer.status() + " " + status + (answer.replayed() ? " replayed" : "");
  }

  @Override
  public void clientStage(SimTag tag, Plan.Client stage) {
    Run run = runs.get(tag.payment());
    if (run == null || tag.request() != 0 || run.plan.client != stage || run.abortRequested) {
      return;
    }
    run.abortRequested = true;
    run.aborted = true;
    fault("client:hung-up-" + stage.name().substring("ABORT_AT_".length()).toLowerCase(java.util.Locale.ROOT));
    Disposable subscription = run.client;
    if (subscription != null) {
      subscription.dispose();
    }
    run.done = true;
  }

  // ---- the instance ----

  @Override
  public boolean dead(SimTag tag) {
    return tag.incarnation() < incarnation.get();
  }

  @Override
  public void crash(String where) {
    int next = incarnation.incrementAndGet();
    fault("instance:crashed-" + where.replace(' ', '-'));
    world.chainsDied(next);
  }

  @Override
  public Plan.Crash crashAtRail(SimTag tag) {
    Run run = runs.get(tag.payment());
    synchronized (run) {
      if (tag.request() == 0 && run.crashPending && run.plan.crash.kind() == null) {
        run.crashPending = false;
        return run.plan.crash;
      }
      return null;
    }
  }

  @Override
  public Fault onStatement(SimTag tag, Kind kind, List<Object> binds) {
    if (dead(tag)) {
      return Fault.DEAD_BEFORE;
    }
    if (SimTag.CLIENT.equals(tag.actor())) {
      Run run = runs.get(tag.payment());
      if (kind == Kind.CLAIM) {
        for (Object value : binds) {
          if (value instanceof String text && Ids.looksLike("pay", text)) {
            paymentIndex.put(text, tag.payment());
            run.paymentIds.add(text);
            break;
          }
        }
      }
      if (tag.request() == OP_REQUEST && (kind == Kind.OPERATION || kind == Kind.OUTCOME)) {
        synchronized (run) {
          if (run.opFaultLeft > 0 && run.plan.opFault.kind() == kind) {
            run.opFaultLeft--;
            fault("postgres:operation-" + kind.wireName() + "-" + (run.plan.opFault.after() ? "lost-answer" : "lost-before"));
            return run.plan.opFault.after() ? Fault.FAIL_AFTER : Fault.FAIL_BEFORE;
          }
        }
      }
      if (tag.request() != 0) {
        return Fault.NONE;
      }
      if (kind == Kind.CLAIM) {
        clientStage(tag, Plan.Client.ABORT_AT_CLAIM);
      }
      if (kind == Kind.OUTCOME) {
        clientStage(tag, Plan.Client.ABORT_AT_OUTCOME);
      }
      synchronized (run) {
        if (run.crashPending && run.plan.crash.kind() == kind) {
          run.crashPending = false;
          crash((run.plan.crash.after() ? "after-" : "before-") + kind.wireName());
          return run.plan.crash.after() ? Fault.DEAD_AFTER : Fault.DEAD_BEFORE;
        }
        Integer left = run.faultsLeft.get(kind);
        if (left != null && left > 0) {
          run.faultsLeft.put(kind, left - 1);
          fault("postgres:" + kind.wireName() + "-" + (run.plan.syncFault.after() ? "lost-answer" : "lost-before"));
          return run.plan.syncFault.after() ? Fault.FAIL_AFTER : Fault.FAIL_BEFORE;
        }
      }
      return Fault.NONE;
    }
    if (kind == Kind.LOCK || kind == Kind.OUTCOME) {
      for (Object value : binds) {
        Integer payment = value instanceof String text ? paymentIndex.get(text) : null;
        if (payment == null) {
          continue;
        }
        Plan plan = plan(payment);
        if (plan.settleFault != null && plan.settleFault.kind() == kind) {
          Integer left = settleFaultsLeft.computeIfPresent(payment, (p, n) -> n - 1);
          if (left != null && left >= 0) {
            fault("postgres:" + tag.actor() + "-" + kind.wireName() + "-" + (plan.settleFault.after() ? "lost-answer"
                : "lost-before"));
            return plan.settleFault.after() ? Fault.FAIL_AFTER : Fault.FAIL_BEFORE;
          }
        }
        break;
      }
    }
    return Fault.NONE;
  }

  @Override
  public boolean commits(SimTag tag) {
    return !dead(tag);
  }

  // ---- the reconciler and the callback processor ----

  /** Time passes (for payments not parked in a live rail call), then one reconciler pass and a drain. */
  private void settle(String what, List<Run> batch) {
    List<String> parkedPayments = new ArrayList<>();
    for (RailWorld.Parked call : world.parked()) {
      if (!call.chainDead) {
        parkedPayments.addAll(runs.get(call.truth.payment).paymentIds);
      }
    }
    // Only this batch's payments: what earlier batches left open already has its exception.
    db.sql("""
            UPDATE payments SET updated_at = updated_at - interval '1 hour',
                next_status_check_at = CASE WHEN next_status_check_at IS NULL THEN NULL ELSE now() - interval '1 millisecond' END
            WHERE status IN ('processing', 'pending') AND idempotency_key = ANY(:keys) AND NOT (id = ANY(:parked))""")
        .bind("keys", keys(batch)).bind("parked", parkedPayments.toArray(String[]::new)).then().block(QUERY);
    db.sql("UPDATE inbox SET next_attempt_at = now() - interval '1 millisecond' WHERE verdict IS NULL").then().block(QUERY);
    // Captures and voids whose answer was lost come due for their status query.
    db.sql("""
            UPDATE payment_operations o SET updated_at = o.updated_at - interval '1 hour',
                next_status_check_at = now() - interval '1 millisecond'
            FROM payments p WHERE p.id = o.payment_id AND o.outcome IN ('in_flight', 'unknown')
                AND p.idempotency_key = ANY(:keys)""")
        .bind("keys", keys(batch)).then().block(QUERY);
    SimulationCallbacks.reconcile(context)
        .contextWrite(Context.of(SimTag.class, actor(SimTag.RECONCILER))).block(STEP_TIMEOUT);
    drain();
    quiet(batch);
    snapshot(what, batch);
  }

  /** Whether every payment of the batch is final and no callback received before the window is open. */
  private boolean settled(List<Run> batch) {
    return Boolean.TRUE.equals(db.sql("""
            SELECT NOT EXISTS (SELECT 1 FROM payments WHERE idempotency_key = ANY(:keys)
                                   AND status IN ('processing', 'pending', 'requires_capture', 'requires_action'))
               AND NOT EXISTS (SELECT 1 FROM payment_operations o JOIN payments p ON p.id = o.payment_id
                               WHERE p.idempotency_key = ANY(:keys) AND o.outcome IN ('in_flight', 'unknown'))
               AND NOT EXISTS (SELECT 1 FROM inbox WHERE verdict IS NULL AND received_at < now() - interval '1 hour')""")
        .bind("keys", keys(batch)).map(row -> row.get(0, Boolean.class)).one().block(QUERY));
  }

  private static String[] keys(List<Run> batch) {
    return batch.stream().map(run -> run.key).toArray(String[]::new);
  }

  private void drain() {
    SimulationCallbacks.drain(context).contextWrite(Context.of(SimTag.class, actor(SimTag.CALLBACKS))).block(STEP_TIMEOUT);
  }

  private void deliverAll(List<Run> batch) {
    for (int payment : world.withCallbacks()) {
      RailWorld.Delivery delivery;
      while ((delivery = world.nextCallback(payment)) != null) {
        receive(delivery);
      }
    }
  }

  private void receive(RailWorld.Delivery delivery) {
    if (!delivery.kind().equals("rail") && !delivery.kind().equals("forged")) {
      fault("callback:" + delivery.kind());
    } else if (delivery.kind().equals("rail")) {
      RailWorld.Truth truth = delivery.referenceHint() == null ? null : world.attempt(delivery.referenceHint());
      // Only a callback before the deadline can be expected to settle the payment by it.
      if (truth != null && !pastDeadline) {
        runs.get(truth.payment).trueCallbackDelivered = true;
      }
    }
    String reference = delivery.body().replaceAll(".*\"CheckoutRequestID\":\"([^\"]+)\".*", "$1");
    boolean known = delivery.referenceHint() != null && world.attempt(delivery.referenceHint()) != null
        || Boolean.TRUE.equals(db.sql("SELECT EXISTS (SELECT 1 FROM payment_attempts WHERE rail = :rail AND rail_reference = :ref)")
            .bind("rail", SimulationInstance.MPESA).bind("ref", reference).map(row -> row.get(0, Boolean.class)).one().block(QUERY));
    Long row = SimulationCallbacks.receive(context, SimulationInstance.MPESA, delivery.referenceHint(), delivery.body())
        .block(QUERY);
    if (known) {
      findable.add(row);
    }
  }

  private SimTag actor(String name) {
    return new SimTag(-1, incarnation.get(), name, false, 0);
  }

  // ---- quiescence, trace, bookkeeping ----

  /** Waits until every client has its answer (or hung up) and every running payment is parked in a held rail call. */
  private void quiet(List<Run> batch) {
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    int stable = 0;
    while (stable < 2) {
      // A client still waiting is at rest when its payment waits in a held rail call.
      boolean clientsDone = batch.stream().allMatch(run -> run.done || world.parkedAlive(run.plan.index));
      if (clientsDone && SimulationPayments.running(context) == world.parkedAlive()) {
        stable++;
      } else {
        stable = 0;
      }
      if (System.nanoTime() > deadline) {
        violation("the gateway did not come to rest within " + STEP_TIMEOUT + " (running "
            + SimulationPayments.running(context) + ", parked " + world.parkedAlive() + ")");
        return;
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    steps++;
  }

  /** The trace line of a step: every batch payment's status by index, then the ledger-wide checks. */
  private void snapshot(String step, List<Run> batch) {
    Map<String, String> byKey = new LinkedHashMap<>();
    Map<String, String[]> rows = new LinkedHashMap<>();
    db.sql("SELECT id, idempotency_key, status, failure_code FROM payments WHERE idempotency_key = ANY(:keys)")
        .bind("keys", keys(batch))
        .map(row -> Map.entry(row.get("idempotency_key", String.class), new String[] {row.get("id", String.class),
            row.get("status", String.class), row.get("status", String.class)
            + (row.get("failure_code", String.class) == null ? "" : ":" + row.get("failure_code", String.class))}))
        .all().doOnNext(entry -> {
          byKey.merge(entry.getKey(), entry.getValue()[2], (a, b) -> a + "+" + b);
          rows.put(entry.getKey(), entry.getValue());
        })
        .blockLast(QUERY);
    for (Run run : batch) {
      String[] row = rows.get(run.key);
      if (row != null) {
        run.paymentId = row[0];
        run.status = row[1];
      }
    }
    // Answers, in payment order (they may have come in on any thread, in any order, during the step).
    for (Run run : batch) {
      while (run.answersTraced < run.answers.size()) {
        trace("p" + run.plan.index + " answer " + describe(run.answers.get(run.answersTraced++)));
      }
      while (run.opAnswersTraced < run.opAnswers.size()) {
        trace("p" + run.plan.index + " " + (run.opCapture ? "capture" : "cancel") + " answer "
            + describe(run.opAnswers.get(run.opAnswersTraced++)));
      }
      while (run.authAnswersTraced < run.authAnswers.size()) {
        trace("p" + run.plan.index + " 3ds result -> " + run.authAnswers.get(run.authAnswersTraced++));
      }
      if (run.lost && !run.lostTraced) {
        run.lostTraced = true;
        trace("p" + run.plan.index + " answer lost with its instance");
      }
    }
    StringBuilder line = new StringBuilder(step).append(" ->");
    for (Run run : batch) {
      line.append(" p").append(run.plan.index).append('=').append(byKey.getOrDefault(run.key, "-"));
    }
    trace(line.toString());
    invariants.global();
  }

  private void trace(String line) {
    synchronized (trace) {
      trace.add(line);
    }
  }

  @Override
  public boolean ours(String paymentId) {
    return paymentIndex.containsKey(paymentId);
  }

  @Override
  public Plan plan(int payment) {
    return runs.get(payment).plan;
  }

  @Override
  public void fault(String kind) {
    faults.merge(kind, 1L, Long::sum);
  }

  @Override
  public void violation(String text) {
    violations.add(text);
    trace("VIOLATION " + text);
  }

  Map<Integer, Run> runs() {
    return runs;
  }

  private static String hash(List<String> lines) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (String line : lines) {
        digest.update(line.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) '\n');
      }
      return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
