package org.malipo.gateway.simulation;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.malipo.gateway.simulation.FaultyDatabase.Kind;

/**
 * Everything the seed decides about one payment before it starts: method and amount, what the
 * client does, what the rail answers to each attempt and to each status query, what the customer
 * does on an STK push, which callbacks the rail (or a forger) sends, and which PostgreSQL, Redis
 * and crash faults hit it. A pure function of its random stream, so a seed replays exactly.
 */
final class Plan {

  enum Method { CARD, MPESA }

  /** The HTTP client: waits for the answer, or hangs up at a stage (the payment must not care). */
  enum Client { WAIT, ABORT_AT_CLAIM, ABORT_AT_RAIL, ABORT_AT_OUTCOME }

  /** What the rail does with one authorization. */
  enum Answer {
    /** Processes and approves; the answer arrives. */
    APPROVE,
    /** Processes and declines; the answer arrives. */
    DECLINE,
    /** Answers with its documented "not processed" (card: fail over; M-Pesa: nothing sent). */
    NOT_ATTEMPTED,
    /** The adapter's transport says surely not charged (connection refused): a {@code RailException.notCharged}. */
    REFUSED,
    /** A 5xx before the request was processed: unknown to the gateway, not charged. */
    UNKNOWN_UNPROCESSED,
    /** Processed (approved or declined), then the answer is lost: a 5xx or reset after sending. */
    LOST_ANSWER,
    /** No answer in time (a timeout error); processed or not. */
    TIMEOUT,
    /** A slow rail: the call stays open while other things happen, then answers or times out. */
    HELD
  }

  /** What a status query says before the rail's truth, in order. */
  enum Query { ERROR, UNKNOWN, PENDING }

  /** The M-Pesa customer's answer to the prompt. */
  enum Customer { PAYS, CANCELS, EXPIRES, NEVER, FLIPS }

  /** Callbacks besides the rail's own one. */
  enum Callback {
    /** The rail's callback is sent twice. */
    DUPLICATE,
    /** A failure report for the same push arrives before the success. */
    REORDERED,
    /** A success for this push with another amount. */
    AMOUNT_MISMATCH,
    /** A success for a CheckoutRequestID nobody knows. */
    FORGED_UNKNOWN,
    /** A success naming another payment's push. */
    FORGED_OTHER,
    /** The rail's callback again after the payment is final. */
    LATE,
    /** The rail's own callback never arrives. */
    LOST
  }

  /**
   * A slow rail call: {@code deliver} answers it when released (else it times out), {@code
   * arrives} says when the rail acts on the request: 0 at once, 1 at a later step, 2 never.
   */
  record Hold(boolean deliver, int arrives, boolean approve) {}

  /** One attempt's script. */
  record Attempt(Answer answer, boolean approve, boolean processed, Hold hold) {}

  /** A statement fault: the {@code nth} statement of {@code kind} fails {@code times} times (the retries too). */
  record DbFault(Kind kind, boolean after, int times) {}

  /** An instance crash: at the first statement of {@code kind} (or at the rail call when {@code kind} is null). */
  record Crash(Kind kind, boolean after) {}

  /** What the client does with a held authorization (manual capture). */
  enum Held { CAPTURE_FULL, CAPTURE_PARTIAL, VOID, EXPIRE }

  /** What the acquirer does with the first capture or void of a payment (later ones are applied). */
  enum OpAnswer { DONE, LOST_ANSWER, TIMEOUT, NOT_ATTEMPTED, REFUSED }

  /** The customer at the 3-D Secure challenge. */
  enum Challenge {
    /** Completes authentication. */
    COMPLETE,
    /** Fails it. */
    FAIL,
    /** Completes it, and the same signed result comes back again. */
    REPLAYED,
    /** Never answers: the authentication timeout passes. */
    TIMEOUT,
    /** The merchant cancels the payment while it waits. */
    CANCEL
  }

  final int index;
  final Method method;
  final long amountMinor;
  final String cardNumber;
  final boolean blockedBin;
  final boolean redisDown;
  final Client client;
  final List<Attempt> attempts;
  final List<Query> queryPrefix;
  final boolean queriesNeverAnswer;
  final Customer customer;
  /** 0: decides during the interleaving; 1..3: at that settling round. */
  final int customerRound;
  final List<Callback> callbacks;
  final DbFault syncFault;
  final DbFault settleFault;
  final Crash crash;
  final boolean earlyRetry;
  /** Card: {@code capture_method: "manual"}. */
  final boolean manual;
  /** Card: the issuer asks for 3-D Secure (its BIN is 400000), and what the customer does; else null. */
  final Challenge challenge;
  final Held held;
  /** The amount a capture asks for (the authorized amount for a full capture). */
  final long captureMinor;
  final OpAnswer opAnswer;
  /** The first operation's request is processed by the acquirer before its time-out. */
  final boolean opProcessed;
  /** The client retries the capture or cancel with the same key. */
  final boolean opRetry;
  /** The client hangs up while its capture or cancel is at the acquirer. */
  final boolean opHangUp;
  /** A fault of the first capture or cancel's claim-and-intent ({@code OPERATION}) or outcome write. */
  final DbFault opFault;
  /** The instance dies at the acquirer's call of the first capture or void: after it applied it, or before. */
  final Crash opCrash;

  Plan(int index, SplittableRandom random) {
    this.index = index;
    method = random.nextInt(100) < 65 ? Method.CARD : Method.MPESA;
    amountMinor = method == Method.MPESA ? 100L * (1 + random.nextInt(5_000)) : 1 + random.nextLong(2_000_000);
    blockedBin = method == Method.CARD && random.nextInt(100) < 3;
    String drawn = card(blockedBin ? "410000" : "424242", random);
    redisDown = random.nextInt(100) < 8;
    client = pick(random, Client.values(), 55, 15, 15, 15);
    List<Attempt> scripted = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      scripted.add(attempt(random));
    }
    attempts = List.copyOf(scripted);
    List<Query> prefix = new ArrayList<>();
    int before = pick(random, new Integer[] {0, 1, 2, 3}, 55, 20, 15, 10);
    for (int i = 0; i < before; i++) {
      prefix.add(pick(random, Query.values(), 40, 30, 30));
    }
    queryPrefix = List.copyOf(prefix);
    queriesNeverAnswer = random.nextInt(100) < 3;
    customer = pick(random, Customer.values(), 55, 15, 12, 8, 10);
    customerRound = pick(random, new Integer[] {0, 1, 2, 3}, 50, 25, 15, 10);
    List<Callback> extra = new ArrayList<>();
    for (Callback callback : Callback.values()) {
      if (method == Method.MPESA && random.nextInt(100) < 15) {
        extra.add(callback);
      }
    }
    callbacks = List.copyOf(extra);
    syncFault = random.nextInt(100) < 18 ? syncFault(random) : null;
    settleFault = random.nextInt(100) < 12
        ? new DbFault(random.nextBoolean() ? Kind.LOCK : Kind.OUTCOME, random.nextBoolean(), 1 + random.nextInt(2)) : null;
    crash = random.nextInt(100) < 10 ? new Crash(pick(random, new Kind[] {Kind.CLAIM, Kind.INTENT, null, Kind.OUTCOME},
        15, 25, 35, 25), random.nextBoolean()) : null;
    earlyRetry = random.nextInt(100) < 20;
    // Issue 20's draws come last, from their own stream: the draws above stay those of earlier seeds.
    SplittableRandom later = random.split();
    manual = method == Method.CARD && later.nextInt(100) < 35;
    challenge = method == Method.CARD && !blockedBin && later.nextInt(100) < 20
        ? pick(later, Challenge.values(), 40, 15, 15, 15, 15) : null;
    cardNumber = challenge != null ? card("400000", later) : drawn;
    held = pick(later, Held.values(), 35, 25, 25, 15);
    captureMinor = held == Held.CAPTURE_PARTIAL ? 1 + later.nextLong(amountMinor) : amountMinor;
    opAnswer = pick(later, OpAnswer.values(), 60, 12, 10, 10, 8);
    opProcessed = later.nextBoolean();
    opRetry = later.nextInt(100) < 30;
    opHangUp = later.nextInt(100) < 15;
    opFault = later.nextInt(100) < 15
        ? new DbFault(later.nextBoolean() ? Kind.OPERATION : Kind.OUTCOME, later.nextBoolean(), 1) : null;
    opCrash = later.nextInt(100) < 8 ? new Crash(null, later.nextBoolean()) : null;
  }

  private static Attempt attempt(SplittableRandom random) {
    Answer answer = pick(random, Answer.values(), 38, 12, 8, 4, 5, 10, 8, 15);
    boolean approve = random.nextInt(100) < 75;
    boolean processed = random.nextBoolean();
    Hold hold = answer == Answer.HELD
        ? new Hold(random.nextBoolean(), pick(random, new Integer[] {0, 1, 2}, 50, 35, 15), approve) : null;
    return new Attempt(answer, approve, processed, hold);
  }

  private static DbFault syncFault(SplittableRandom random) {
    Kind kind = pick(random, new Kind[] {Kind.CLAIM, Kind.INTENT, Kind.OUTCOME}, 25, 30, 45);
    boolean after = random.nextBoolean();
    // An outcome write failing before it runs is retried by the pipeline (3 retries): once is
    // absorbed, four times leaves the payment to the reconciler.
    int times = kind == Kind.OUTCOME && !after ? (random.nextBoolean() ? 1 : 4) : 1;
    return new DbFault(kind, after, times);
  }

  /** A Luhn-valid 16-digit number with this BIN: each payment its own card, so velocity rules stay quiet. */
  private static String card(String bin, SplittableRandom random) {
    StringBuilder digits = new StringBuilder(bin);
    while (digits.length() < 15) {
      digits.append(random.nextInt(10));
    }
    int sum = 0;
    for (int i = 0; i < 15; i++) {
      int digit = digits.charAt(14 - i) - '0';
      if (i % 2 == 0) {
        digit *= 2;
        if (digit > 9) {
          digit -= 9;
        }
      }
      sum += digit;
    }
    return digits.append((10 - sum % 10) % 10).toString();
  }

  @SafeVarargs
  private static <T> T pick(SplittableRandom random, T[] values, int... weights) {
    int total = 0;
    for (int weight : weights) {
      total += weight;
    }
    int draw = random.nextInt(total);
    for (int i = 0; i < weights.length; i++) {
      draw -= weights[i];
      if (draw < 0) {
        return values[i];
      }
    }
    throw new IllegalStateException("weights");
  }

  /** The attempt script of attempt {@code number} (1-based); attempts past the script approve. */
  Attempt attempt(int number) {
    return number <= attempts.size() ? attempts.get(number - 1) : new Attempt(Answer.APPROVE, true, true, null);
  }

  /** The request body the client posts. */
  String body() {
    if (method == Method.MPESA) {
      return """
          {"amount": %d, "currency": "KES", "reference": "sim-%d", "payment_method": {"type": "mobile_money",
           "operator": "mpesa", "msisdn": "%s"}}""".formatted(amountMinor, index, msisdn());
    }
    return """
        {"amount": %d, "currency": "KES", "reference": "sim-%d", "capture_method": "%s", "payment_method": {"type": "card",
         "number": "%s", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""".formatted(amountMinor, index,
        manual ? "manual" : "automatic", cardNumber);
  }

  /** The payer of an M-Pesa payment, E.164. */
  String msisdn() {
    return "+2547083" + String.format("%05d", 10_000 + index % 90_000).substring(0, 5);
  }

  /** What the trace shows of the plan. */
  String summary() {
    StringBuilder text = new StringBuilder().append(method).append(' ').append(amountMinor);
    if (blockedBin) {
      text.append(" blocked-bin");
    }
    if (redisDown) {
      text.append(" redis-down");
    }
    text.append(" client=").append(client);
    for (Attempt attempt : attempts) {
      text.append(" a=").append(attempt.answer()).append(attempt.approve() ? "+" : "-").append(attempt.processed() ? "p" : "");
      if (attempt.hold() != null) {
        text.append(attempt.hold());
      }
    }
    text.append(" q=").append(queryPrefix).append(queriesNeverAnswer ? " q-never" : "");
    if (method == Method.MPESA) {
      text.append(" customer=").append(customer).append('@').append(customerRound).append(" callbacks=").append(callbacks);
    }
    if (syncFault != null) {
      text.append(" sync-fault=").append(syncFault);
    }
    if (settleFault != null) {
      text.append(" settle-fault=").append(settleFault);
    }
    if (crash != null) {
      text.append(" crash=").append(crash);
    }
    if (challenge != null) {
      text.append(" 3ds=").append(challenge);
    }
    if (manual) {
      text.append(" manual=").append(held).append(held == Held.CAPTURE_PARTIAL ? "(" + captureMinor + ")" : "")
          .append(" op=").append(opAnswer).append(opAnswer == OpAnswer.TIMEOUT && opProcessed ? "p" : "")
          .append(opRetry ? " op-retry" : "").append(opHangUp ? " op-hang-up" : "");
      if (opFault != null) {
        text.append(" op-fault=").append(opFault);
      }
      if (opCrash != null) {
        text.append(" op-crash=").append(opCrash.after() ? "after" : "before");
      }
    }
    return text.append(earlyRetry ? " early-retry" : "").toString();
  }
}
