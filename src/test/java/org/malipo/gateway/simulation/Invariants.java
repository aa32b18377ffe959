package org.malipo.gateway.simulation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.malipo.gateway.payment.SimulationPayments;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * The money invariants of ../shared/INVARIANTS.md as the simulation checks them: against the
 * database (read with the gateway's own client, outside any fault) and against the rails' truth
 * ({@link RailWorld}: what was really charged). Ledger-wide checks run after every step of a seed,
 * scoped to the seed's merchants (earlier seeds' rows are frozen); the per-payment checks run once
 * a batch has passed its deadline. Each failed check is reported with the invariant's number.
 *
 * <p>Not checked here: 6 (refunds) and 13 (webhooks), which the simulation does not drive; 12's
 * publication to Kafka (the outbox rows are checked, not the relay).
 */
final class Invariants {

  private static final Duration QUERY = Duration.ofSeconds(30);
  private static final Set<String> FINAL = Set.of("succeeded", "failed");
  private static final Pattern BODY_ID = Pattern.compile("\"id\":\"(pay_[0-9a-f]+)\"");
  private static final Pattern BODY_STATUS = Pattern.compile("\"status\":\"([a-z_]+)\"");

  private final DatabaseClient db;
  private final RailWorld world;
  private final Consumer<String> violation;
  private final AtomicLong checks = new AtomicLong();
  private final Map<String, Long> notes = new java.util.TreeMap<>();
  private final Map<String, String> entriesSeen = new HashMap<>();
  private String[] merchants = new String[0];

  Invariants(DatabaseClient db, RailWorld world, Consumer<String> violation) {
    this.db = db;
    this.world = world;
    this.violation = violation;
  }

  long checks() {
    return checks.get();
  }

  /** What the checks saw that breaks no invariant but is worth knowing, with counts. */
  Map<String, Long> notes() {
    return notes;
  }

  /** The seed's merchants, whose rows the ledger-wide checks read. */
  void merchants(String... ids) {
    merchants = ids.clone();
  }

  private void check(boolean holds, String what) {
    checks.incrementAndGet();
    if (!holds) {
      violation.accept(what);
    }
  }

  private List<Map<String, Object>> rows(String sql, Map<String, Object> binds) {
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql);
    for (Map.Entry<String, Object> bind : binds.entrySet()) {
      spec = spec.bind(bind.getKey(), bind.getValue());
    }
    return spec.fetch().all().collectList().block(QUERY);
  }

  private static long number(Object value) {
    return value == null ? 0 : ((Number) value).longValue();
  }

  /**
   * After every step, over the seed's rows: 1 balanced entries, 2 balanced ledger, 4 and 15
   * cached balances, 11 suspense only against late funds or an open case, 16 append-only.
   */
  void global() {
    Map<String, Object> seed = Map.of("merchants", merchants);
    String entries = """
        SELECT e.id, e.kind, e.payment_id FROM journal_entries e JOIN payments p ON p.id = e.payment_id
        WHERE p.merchant_id = ANY(:merchants)""";
    List<Map<String, Object>> legs = rows("""
        WITH e AS (%s)
        SELECT e.id, e.kind, count(t.id) AS legs,
            coalesce(sum(CASE WHEN t.direction = 'D' THEN t.amount_minor ELSE 0 END), 0) AS debits,
            coalesce(sum(CASE WHEN t.direction = 'C' THEN t.amount_minor ELSE 0 END), 0) AS credits,
            count(DISTINCT t.currency) AS currencies
        FROM e LEFT JOIN postings t ON t.entry_id = e.id GROUP BY e.id, e.kind""".formatted(entries), seed);
    long debits = 0;
    long credits = 0;
    for (Map<String, Object> entry : legs) {
      String id = (String) entry.get("id");
      long d = number(entry.get("debits"));
      long c = number(entry.get("credits"));
      debits += d;
      credits += c;
      check(number(entry.get("legs")) >= 2 && d == c && d > 0 && number(entry.get("currencies")) == 1,
          "INVARIANTS 1: journal entry " + id + " (" + entry.get("kind") + ") has " + entry.get("legs")
              + " postings, debits " + d + ", credits " + c);
      String fingerprint = entry.get("legs") + "/" + d;
      String before = entriesSeen.putIfAbsent(id, fingerprint);
      check(before == null || before.equals(fingerprint),
          "INVARIANTS 16: journal entry " + id + " changed from " + before + " to " + fingerprint);
    }
    check(legs.size() >= entriesSeen.size(), "INVARIANTS 16: journal entries disappeared");
    check(debits == credits, "INVARIANTS 2: the seed's debits " + debits + " differ from its credits " + credits);

    List<Map<String, Object>> cached = rows("""
        SELECT a.id, a.balance_minor, a.non_negative,
            coalesce(sum(CASE WHEN t.direction = a.normal_side THEN t.amount_minor ELSE -t.amount_minor END), 0) AS derived
        FROM ledger_accounts a LEFT JOIN postings t ON t.account_id = a.id
        WHERE a.id LIKE ANY(:patterns) GROUP BY a.id, a.balance_minor, a.non_negative""",
        Map.of("patterns", java.util.Arrays.stream(merchants).map(m -> "merchant:" + m + ":%").toArray(String[]::new)));
    for (Map<String, Object> account : cached) {
      long balance = number(account.get("balance_minor"));
      check(balance == number(account.get("derived")), "INVARIANTS 15: account " + account.get("id") + " caches "
          + balance + ", its postings say " + account.get("derived"));
      check(!Boolean.TRUE.equals(account.get("non_negative")) || balance >= 0,
          "INVARIANTS 4: account " + account.get("id") + " is negative: " + balance);
    }

    List<Map<String, Object>> suspense = rows("""
        WITH e AS (%s)
        SELECT e.id, e.kind, p.status,
            EXISTS (SELECT 1 FROM payment_exceptions x WHERE x.suspense_entry = e.id AND x.resolved_at IS NULL
                    AND x.kind = 'unconfirmed_success') AS open_case
        FROM e JOIN payments p ON p.id = e.payment_id WHERE e.kind IN ('late_funds', 'suspense')""".formatted(entries),
        seed);
    for (Map<String, Object> entry : suspense) {
      boolean lateFunds = "late_funds".equals(entry.get("kind"));
      check(lateFunds ? "failed".equals(entry.get("status")) : Boolean.TRUE.equals(entry.get("open_case")),
          "INVARIANTS 11: " + entry.get("kind") + " entry " + entry.get("id") + " of a " + entry.get("status")
              + " payment without " + (lateFunds ? "a failed payment" : "an open unconfirmed-success case"));
    }
  }

  /** At the end of a seed: the whole database's ledger, as LedgerAudit reads it. */
  void wholeLedger() {
    List<Map<String, Object>> currencies = rows("""
        SELECT currency FROM postings GROUP BY currency
        HAVING sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END) <> 0""", Map.of());
    check(currencies.isEmpty(), "INVARIANTS 2: currencies whose debits and credits differ: " + currencies);
    List<Map<String, Object>> wrong = rows("""
        SELECT a.id FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.id
        WHERE a.balance_minor IS NOT NULL GROUP BY a.id, a.balance_minor
        HAVING a.balance_minor <> coalesce(sum(CASE WHEN p.direction = a.normal_side THEN p.amount_minor
                                                    ELSE -p.amount_minor END), 0)""", Map.of());
    check(wrong.isEmpty(), "INVARIANTS 15: accounts whose cached balance differs from their postings: " + wrong);
  }

  /** Once a batch is past its deadline: every payment's checks, against the database and the rails' truth. */
  void batch(List<OrchestratorSimulation.Run> batch, java.util.Collection<Long> findable) {
    List<String> cards = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (OrchestratorSimulation.Run run : batch) {
      payment(run);
      keys.add(run.key);
      if (run.plan.method == Plan.Method.CARD) {
        cards.add(run.plan.cardNumber);
      }
    }
    List<Map<String, Object>> open = rows("""
        SELECT i.id, i.reference_hint, i.attempts, i.verdict_detail, i.received_at, i.next_attempt_at, i.claimed_until,
            now() AS now, i.body, a.rail AS attempt_rail, a.outcome AS attempt_outcome, a.rail_reference AS attempt_reference
        FROM inbox i LEFT JOIN payment_attempts a ON a.id = i.reference_hint
        WHERE i.verdict IS NULL AND i.received_at < now() - interval '1 hour'""", Map.of());
    // Rows received before the window passed (their clocks were moved back with it); a late
    // callback that came after it is still within its own window.
    check(open.isEmpty(), "INVARIANTS 10: inbox rows without a verdict after the window: " + open);
    // A callback whose attempt the gateway could find when it came in (by the attempt id in its URL,
    // or by a rail reference already stored) must never be given up as an orphan.
    List<Map<String, Object>> orphans = rows("""
        SELECT id, reference_hint, verdict_detail, attempts FROM inbox WHERE verdict = 'orphan' AND id = ANY(:findable)""",
        Map.of("findable", findable.toArray(Long[]::new)));
    check(orphans.isEmpty(), "INVARIANTS 10: callbacks of a known attempt given the verdict orphan (no attempt): "
        + orphans);
    if (!cards.isEmpty()) {
      String pattern = String.join("|", cards);
      Map<String, Object> binds = Map.of("keys", keys.toArray(String[]::new), "pan", pattern);
      List<Map<String, Object>> leaks = rows("""
          SELECT 'payments' AS place FROM payments p WHERE p.idempotency_key = ANY(:keys) AND row_to_json(p)::text ~ :pan
          UNION ALL SELECT 'outbox' FROM outbox o JOIN payments p ON p.id = o.aggregate_id
              WHERE p.idempotency_key = ANY(:keys) AND o.payload ~ :pan
          UNION ALL SELECT 'idempotency_keys' FROM idempotency_keys k WHERE k.idempotency_key = ANY(:keys)
              AND (coalesce(k.response_body, '') ~ :pan OR k.fingerprint ~ :pan)
          UNION ALL SELECT 'payment_attempts' FROM payment_attempts a JOIN payments p ON p.id = a.payment_id
              WHERE p.idempotency_key = ANY(:keys) AND row_to_json(a)::text ~ :pan""", binds);
      check(leaks.isEmpty(), "INVARIANTS 14: a full card number is stored in " + leaks);
    }
  }

  private void payment(OrchestratorSimulation.Run run) {
    String who = "payment p" + run.plan.index;
    List<Map<String, Object>> found = rows("""
        SELECT id, status, failure_code, amount_minor, fee_minor, attempts_started, merchant_id FROM payments
        WHERE merchant_id = :merchant AND idempotency_key = :key""", Map.of("merchant", run.merchantId, "key", run.key));
    check(found.size() == 1, "INVARIANTS 8: " + found.size() + " payments for " + who + "'s idempotency key");
    if (found.size() != 1) {
      return;
    }
    Map<String, Object> payment = found.getFirst();
    String id = (String) payment.get("id");
    String status = (String) payment.get("status");
    String failure = (String) payment.get("failure_code");
    long amount = number(payment.get("amount_minor"));
    Map<String, Object> byId = Map.of("id", id);
    check(amount == run.plan.amountMinor, "INVARIANTS 3: " + who + " stored " + amount + ", asked " + run.plan.amountMinor);
    check(number(payment.get("fee_minor")) >= 0 && number(payment.get("fee_minor")) <= amount,
        "INVARIANTS 3: " + who + " has fee " + payment.get("fee_minor") + " for " + amount);

    List<Map<String, Object>> attempts = rows(
        "SELECT id, rail, outcome, rail_reference FROM payment_attempts WHERE payment_id = :id ORDER BY started_at, id",
        byId);
    List<Map<String, Object>> entries = rows("""
        SELECT e.id, e.kind, (SELECT coalesce(sum(t.amount_minor), 0) FROM postings t
                              WHERE t.entry_id = e.id AND t.direction = 'D') AS debits
        FROM journal_entries e WHERE e.payment_id = :id""", byId);
    List<Map<String, Object>> events = rows(
        "SELECT type, sequence, merchant_id FROM outbox WHERE aggregate_id = :id ORDER BY sequence", byId);
    List<Map<String, Object>> cases = rows(
        "SELECT kind FROM payment_exceptions WHERE payment_id = :id AND resolved_at IS NULL", byId);
    List<Map<String, Object>> inbox = rows("SELECT verdict, body FROM inbox WHERE payment_id = :id", byId);
    List<Map<String, Object>> key = rows("""
        SELECT state, response_status, response_body FROM idempotency_keys
        WHERE merchant_id = :merchant AND idempotency_key = :key""", Map.of("merchant", run.merchantId, "key", run.key));

    boolean isFinal = FINAL.contains(status);
    long captures = entries.stream().filter(e -> "capture".equals(e.get("kind"))).count();
    boolean lateFunds = entries.stream().anyMatch(e -> "late_funds".equals(e.get("kind")));
    // 5: one capture per success, for the amount; none otherwise.
    check(status.equals("succeeded") ? captures == 1 : captures == 0,
        "INVARIANTS 5: " + who + " is " + status + " with " + captures + " captures");
    entries.stream().filter(e -> "capture".equals(e.get("kind"))).forEach(e -> check(number(e.get("debits")) == amount,
        "INVARIANTS 3/5: " + who + "'s capture is for " + e.get("debits") + ", the payment for " + amount));

    // 9, and where the money really is: the rails' truth against the ledger.
    List<RailWorld.Truth> truths = world.attempts(run.plan.index).stream()
        .filter(truth -> truth.attemptId.startsWith("att_" + id.substring(4) + "_")).toList();
    List<RailWorld.Truth> charged = truths.stream().filter(RailWorld.Truth::charged).toList();
    check(charged.size() <= 1, "INVARIANTS 9: the rails charged " + who + " " + charged.size() + " times: "
        + charged.stream().map(t -> t.rail + "/" + t.number).toList());
    boolean openCase = !cases.isEmpty();
    if (!charged.isEmpty()) {
      RailWorld.Truth money = charged.getFirst();
      boolean recorded = status.equals("succeeded") && attempts.stream().anyMatch(a -> money.attemptId.equals(a.get("id"))
          && "approved".equals(a.get("outcome")));
      check(recorded || lateFunds || openCase, "INVARIANTS 5/11: " + money.rail + " charged " + who + " (attempt "
          + money.number + ") but it is " + status + (failure == null ? "" : " " + failure)
          + " with no late-funds entry and no open exception");
    }
    check(!status.equals("succeeded") || !charged.isEmpty(),
        "INVARIANTS 7: " + who + " succeeded but no rail charged it");
    check(!lateFunds || !charged.isEmpty(), "INVARIANTS 11: " + who + " has late funds the rail never collected");

    // 7: a final status rests on a rail outcome stored against it.
    check(number(payment.get("attempts_started")) == attempts.size(),
        "INVARIANTS 7: " + who + " counts " + payment.get("attempts_started") + " attempts started, has " + attempts.size());
    if (status.equals("succeeded")) {
      check(attempts.stream().anyMatch(a -> "approved".equals(a.get("outcome"))),
          "INVARIANTS 7: " + who + " succeeded without an approved attempt: " + attempts);
    }
    // An earlier attempt answered not-attempted (the pipeline fails over on nothing else); when the
    // write of that answer was lost and the reconciler settled the last attempt, it stays in_flight.
    for (int i = 0; i < attempts.size() - 1; i++) {
      if (isFinal && "in_flight".equals(attempts.get(i).get("outcome"))) {
        notes.merge("earlier attempt left in_flight on a final payment", 1L, Long::sum);
      }
    }
    if (status.equals("failed")) {
      boolean sentNothing = true;
      for (int i = 0; i < attempts.size(); i++) {
        Object outcome = attempts.get(i).get("outcome");
        sentNothing &= "not_attempted".equals(outcome) || "in_flight".equals(outcome) && i < attempts.size() - 1;
      }
      boolean nothingSent = sentNothing;
      boolean why = switch (Objects.requireNonNullElse(failure, "")) {
        case "risk_declined" -> attempts.isEmpty();
        case "provider_unavailable" -> nothingSent;
        default -> attempts.stream().anyMatch(a -> "declined".equals(a.get("outcome")));
      };
      check(why, "INVARIANTS 7: " + who + " failed " + failure + " but its attempts say " + outcomes(attempts));
    }
    if (isFinal && !attempts.isEmpty()) {
      Object last = attempts.getLast().get("outcome");
      check(!Set.of("in_flight", "unknown", "pending").contains(last),
          "INVARIANTS 7: " + who + " is " + status + " while its last attempt is still " + last);
    }

    // 7 and 12: the events are a path in the state machine, one per change, numbered 1..n.
    List<String> types = events.stream().map(e -> ((String) e.get("type")).substring("payment.".length())).toList();
    for (int i = 0; i < events.size(); i++) {
      check(number(events.get(i).get("sequence")) == i + 1, "INVARIANTS 12: " + who + "'s events are numbered "
          + events.stream().map(e -> e.get("sequence")).toList());
      check(run.merchantId.equals(events.get(i).get("merchant_id")), "INVARIANTS 18: " + who + "'s event "
          + types.get(i) + " names merchant " + events.get(i).get("merchant_id"));
    }
    check(legalHistory(types, status), "INVARIANTS 7/12: " + who + " is " + status + " with events " + types);

    // 8: the key holds the final answer once the payment is final, and is in progress until then.
    check(key.size() == 1, "INVARIANTS 8: " + who + " has " + key.size() + " key rows");
    if (key.size() == 1) {
      Map<String, Object> row = key.getFirst();
      String body = (String) row.get("response_body");
      if (isFinal) {
        // The first answer stored is the one replayed: a payment answered pending keeps that answer.
        check("completed".equals(row.get("state")) && number(row.get("response_status")) == 201 && body != null
                && id.equals(group(BODY_ID, body)) && storedStatusFits(group(BODY_STATUS, body), status, types),
            "INVARIANTS 8: " + who + " is " + status + " but its key is " + row.get("state") + " "
                + row.get("response_status") + " " + (body == null ? null : group(BODY_STATUS, body)));
      } else {
        check("in_progress".equals(row.get("state")) || status.equals("pending") && "pending".equals(group(BODY_STATUS, body)),
            "INVARIANTS 8: " + who + " is " + status
            + " but its key is already " + row.get("state"));
      }
    }

    // 10: every callback has one verdict; at most one applied; a different amount is quarantined.
    check(inbox.stream().filter(r -> "applied".equals(r.get("verdict"))).count() <= 1,
        "INVARIANTS 10: " + who + " had " + inbox.stream().filter(r -> "applied".equals(r.get("verdict"))).count()
            + " callbacks applied");
    String mismatched = "\"Value\":" + (amount + 100) / 100 + ",";
    for (Map<String, Object> row : inbox) {
      check(row.get("verdict") != null, "INVARIANTS 10: a callback of " + who + " has no verdict");
      if (((String) row.get("body")).contains(mismatched) && ((String) row.get("body")).contains("\"ResultCode\":0")) {
        check("mismatch".equals(row.get("verdict")), "INVARIANTS 10: a callback of " + who + " for "
            + (amount + 100) + " was " + row.get("verdict") + ", not quarantined as a mismatch");
      }
    }

    // 11 and the deadline: final, or an operator-visible exception; final whenever the rail could tell.
    check(isFinal || openCase, "INVARIANTS 11: " + who + " is still " + status + " past its deadline with no open exception");
    boolean knowable = knowable(run, attempts);
    check(isFinal || !knowable, "deadline: " + who + " is still " + status + " although the rail's answer was there"
        + " to be had (" + outcomes(attempts) + ")");

    // 17: what the client was told holds; the final retry with the same key returns the payment.
    List<SimulationPayments.Answer> answers = run.answers;
    for (int i = 0; i < answers.size(); i++) {
      SimulationPayments.Answer answer = answers.get(i);
      boolean last = i == answers.size() - 1;
      if (answer.status() == 201) {
        String answeredId = group(BODY_ID, answer.body());
        String answeredStatus = group(BODY_STATUS, answer.body());
        check(id.equals(answeredId), "INVARIANTS 17: " + who + "'s client was answered payment " + answeredId
            + ", the key holds " + id);
        check(!FINAL.contains(answeredStatus) || answeredStatus.equals(status), "INVARIANTS 17: " + who
            + "'s client was told " + answeredStatus + ", the payment is " + status);
        if (last) {
          check(!isFinal || (answer.replayed() && storedStatusFits(answeredStatus, status, types)), "INVARIANTS 8: " + who
              + "'s final retry got " + answeredStatus + (answer.replayed() ? " replayed" : " not replayed")
              + ", the payment is " + status);
        }
      } else if (answer.status() == 409) {
        check("idempotency_in_progress".equals(answer.code()), "INVARIANTS 8: " + who + " answered 409 " + answer.code());
        check(!last || !isFinal, "INVARIANTS 8: " + who + " is " + status + " but its final retry got 409");
      } else if (answer.status() == 503) {
        check("service_unavailable".equals(answer.code()), "INVARIANTS 17: " + who + " answered 503 " + answer.code());
        check(!last, "INVARIANTS 8: " + who + "'s final retry got 503 " + answer.code());
        if (answer.paymentId() != null && !answer.paymentId().equals(id)) {
          List<Map<String, Object>> named = rows("SELECT 1 FROM payments WHERE id = :id", Map.of("id", answer.paymentId()));
          check(named.isEmpty(), "INVARIANTS 17: " + who + "'s 503 named payment " + answer.paymentId()
              + ", which exists but is not the key's");
        }
      } else {
        check(false, "INVARIANTS 17: " + who + " was answered " + answer.status() + " " + answer.code());
      }
    }
    check(!answers.isEmpty(), "INVARIANTS 8: " + who + "'s final retry got no answer");
  }

  /** Whether the rail could settle the payment by its deadline: then it must be final. */
  private boolean knowable(OrchestratorSimulation.Run run, List<Map<String, Object>> attempts) {
    if (attempts.isEmpty()) {
      // Never sent: the reconciler fails it as such.
      return true;
    }
    if (run.plan.queriesNeverAnswer) {
      return false;
    }
    if (run.plan.method == Plan.Method.CARD) {
      // The acquirer's look-up answers for every key it was given, and fences the others.
      return true;
    }
    Map<String, Object> last = attempts.getLast();
    RailWorld.Truth truth = world.attempt((String) last.get("id"));
    if (truth == null || !truth.processed) {
      // No push was sent: only the window can tell (and an exception says so).
      return false;
    }
    return truth.decided && (last.get("rail_reference") != null || run.trueCallbackDelivered);
  }

  /** A stored answer shows the final status, or pending when the payment was first answered so. */
  private static boolean storedStatusFits(String stored, String status, List<String> events) {
    return status.equals(stored) || "pending".equals(stored) && events.contains("pending");
  }

  private static boolean legalHistory(List<String> types, String status) {
    List<String> allowed = switch (status) {
      case "succeeded" -> List.of("created", "pending?", "succeeded");
      case "failed" -> List.of("created", "pending?", "failed", "late_funds?");
      case "pending" -> List.of("created", "pending");
      default -> List.of("created");
    };
    int at = 0;
    for (String step : allowed) {
      boolean optional = step.endsWith("?");
      String type = optional ? step.substring(0, step.length() - 1) : step;
      if (at < types.size() && types.get(at).equals(type)) {
        at++;
      } else if (!optional) {
        return false;
      }
    }
    return at == types.size();
  }

  private static String outcomes(List<Map<String, Object>> attempts) {
    return attempts.stream().map(a -> a.get("rail") + ":" + a.get("outcome")).toList().toString();
  }

  private static String group(Pattern pattern, String text) {
    if (text == null) {
      return null;
    }
    Matcher matcher = pattern.matcher(text);
    return matcher.find() ? matcher.group(1) : null;
  }
}
