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
 * a batch has passed its deadline, with issue 20's hold checks (captured at most authorized, each
 * hold released exactly once, held and authorized accounts back to the open authorizations, no
 * capture or void sent twice). Each failed check is reported with the invariant's number.
 *
 * <p>Not checked here: 6 (refunds) and 13 (webhooks), which the simulation does not drive; 12's
 * publication to Kafka (the outbox rows are checked, not the relay).
 */
final class Invariants {

  private static final Duration QUERY = Duration.ofSeconds(30);
  private static final Set<String> FINAL = Set.of("succeeded", "failed", "canceled");
  /** An event history: created, maybe a 3-D Secure wait, maybe pending, then how it ended (issue 20's paths too). */
  private static final Pattern HISTORY = Pattern.compile(
      "created( requires_action)?( pending)?( (succeeded|failed( late_funds)?|canceled|requires_capture( captured| canceled)?))?");
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

  /**
   * Issue 20, INVARIANTS 5 and 6 as ADR 0082 extends them, after each batch: a captured amount is
   * at most the authorized amount; a held payment has one hold and no release, a payment that was
   * held and is final one hold and one release (released exactly once: captured, voided or
   * expired), any other none; each merchant's held account and each rail's authorized account
   * equal the amounts of the {@code requires_capture} payments (zero once they are final).
   */
  private void holds(Map<String, Object> seed) {
    List<Map<String, Object>> wrong = rows("""
        SELECT p.id, p.status, p.capture_method, p.amount_minor, p.amount_captured_minor, h.holds, h.releases
        FROM payments p, LATERAL (SELECT count(*) FILTER (WHERE e.kind = 'hold') AS holds,
                                         count(*) FILTER (WHERE e.kind = 'hold_release') AS releases
                                  FROM journal_entries e WHERE e.payment_id = p.id) h
        WHERE p.merchant_id = ANY(:merchants) AND (
            coalesce(p.amount_captured_minor, 0) > p.amount_minor
            OR p.status = 'requires_capture' AND (h.holds <> 1 OR h.releases <> 0)
            OR p.status IN ('succeeded', 'canceled') AND p.authorized_at IS NOT NULL AND p.capture_method = 'manual'
                AND (h.holds <> 1 OR h.releases <> 1)
            OR h.holds > 1 OR h.releases > h.holds
            OR p.capture_method <> 'manual' AND (h.holds <> 0 OR h.releases <> 0))""", seed);
    check(wrong.isEmpty(), "INVARIANTS 5/6: payments whose captured amount or hold entries are wrong (captured more than"
        + " authorized, a hold not released exactly once, or released while held): " + wrong);
    List<Map<String, Object>> held = rows("""
        SELECT a.id, coalesce(sum(CASE WHEN t.direction = a.normal_side THEN t.amount_minor ELSE -t.amount_minor END), 0)
                   AS balance,
               coalesce((SELECT sum(p.amount_minor) FROM payments p WHERE p.status = 'requires_capture'
                         AND (a.id = 'merchant:' || p.merchant_id || ':held:' || p.currency
                              OR a.id = 'rail:' || p.provider || ':authorized:' || p.currency)), 0) AS open
        FROM ledger_accounts a LEFT JOIN postings t ON t.account_id = a.id
        WHERE a.id LIKE ANY(:patterns) GROUP BY a.id""",
        Map.of("patterns", java.util.stream.Stream.concat(java.util.Arrays.stream(merchants).map(m -> "merchant:" + m
            + ":held:%"), java.util.stream.Stream.of("rail:sim_card_%:authorized:%")).toArray(String[]::new)));
    for (Map<String, Object> account : held) {
      check(number(account.get("balance")) == number(account.get("open")), "INVARIANTS 6: account " + account.get("id")
          + " holds " + account.get("balance") + ", the open authorizations are " + account.get("open"));
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
    holds(Map.of("merchants", merchants));
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
        SELECT id, status, failure_code, amount_minor, fee_minor, attempts_started, merchant_id, capture_method,
            amount_captured_minor, cancellation_reason, authorized_at FROM payments
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
    boolean manual = "manual".equals(payment.get("capture_method"));
    long captured = status.equals("succeeded") && manual ? number(payment.get("amount_captured_minor")) : amount;
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
    entries.stream().filter(e -> "capture".equals(e.get("kind"))).forEach(e -> check(number(e.get("debits")) == captured,
        "INVARIANTS 3/5: " + who + "'s capture is for " + e.get("debits") + ", the payment's captured amount " + captured));
    check(manual == run.plan.manual, "INVARIANTS 3: " + who + " has capture_method " + payment.get("capture_method"));
    operations(run, who, id, status, manual, captured, payment.get("cancellation_reason"));

    // 9, and where the money really is: the rails' truth against the ledger.
    List<RailWorld.Truth> truths = world.attempts(run.plan.index).stream()
        .filter(truth -> truth.attemptId.startsWith("att_" + id.substring(4) + "_")).toList();
    List<RailWorld.Truth> charged = truths.stream().filter(RailWorld.Truth::charged).toList();
    check(charged.size() <= 1, "INVARIANTS 9: the rails charged " + who + " " + charged.size() + " times: "
        + charged.stream().map(t -> t.rail + "/" + t.number).toList());
    boolean openCase = !cases.isEmpty();
    if (!charged.isEmpty()) {
      RailWorld.Truth money = charged.getFirst();
      // A held authorization is final when captured, or voided (canceled): never as a failure.
      boolean recorded = (status.equals("succeeded") || manual && status.equals("canceled"))
          && attempts.stream().anyMatch(a -> money.attemptId.equals(a.get("id")) && "approved".equals(a.get("outcome")));
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
        // 3-D Secure failed or was never answered: nothing was sent to a rail.
        case "authentication_failed", "authentication_timeout" -> attempts.isEmpty() && run.plan.challenge != null;
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
    if (status.equals("canceled")) {
      check(attempts.isEmpty() ? types.contains("requires_action") : manual && payment.get("authorized_at") != null,
          "INVARIANTS 7: " + who + " is canceled with attempts " + outcomes(attempts) + " and events " + types);
    }

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
        // Or completed with the first answer: pending, or requires_action (3-D Secure completes the
        // key with it; the authorization after the result may still be open).
        String first = group(BODY_STATUS, body);
        check("in_progress".equals(row.get("state")) || status.equals("pending") && "pending".equals(first)
                || "requires_action".equals(first) && types.contains("requires_action"),
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

  /**
   * A stored answer shows the final status, or the first answer the payment was given: pending,
   * requires_action (3-D Secure) or requires_capture (manual capture), when its events show it.
   */
  private static boolean storedStatusFits(String stored, String status, List<String> events) {
    return status.equals(stored) || stored != null && Set.of("pending", "requires_action", "requires_capture").contains(stored)
        && events.contains(stored);
  }

  private static boolean legalHistory(List<String> types, String status) {
    if (!HISTORY.matcher(String.join(" ", types)).matches()) {
      return false;
    }
    String last = types.getLast();
    return switch (status) {
      case "succeeded" -> last.equals("succeeded") || last.equals("captured");
      case "failed" -> last.equals("failed") || last.equals("late_funds");
      case "canceled", "pending", "requires_capture", "requires_action" -> last.equals(status);
      // Processing after a 3-D Secure result: the authorization is under way.
      default -> last.equals("created") || last.equals("requires_action");
    };
  }

  /**
   * Issue 20, a held authorization and its capture or void, against the acquirer's truth: no
   * operation sent twice (checked as it is received), at most one applied; a succeeded manual
   * payment was completed at the acquirer for its captured amount, a canceled one reversed; every
   * answer the merchant got holds, and its key ends completed.
   */
  private void operations(OrchestratorSimulation.Run run, String who, String id, String status, boolean manual,
      long captured, Object reason) {
    List<RailWorld.Operation> sent = world.operations(run.plan.index);
    List<RailWorld.Operation> applied = sent.stream().filter(o -> o.applied).toList();
    check(applied.size() <= 1, "INVARIANTS 5: the acquirer applied " + applied.size() + " captures or voids to " + who);
    List<Map<String, Object>> stored = rows(
        "SELECT id, kind, outcome, amount_minor FROM payment_operations WHERE payment_id = :id", Map.of("id", id));
    check(stored.stream().noneMatch(o -> Set.of("in_flight", "unknown").contains(o.get("outcome"))),
        "INVARIANTS 7: " + who + " is " + status + " with a capture or void still open: " + stored);
    if (manual && status.equals("succeeded")) {
      check(applied.size() == 1 && applied.getFirst().capture && applied.getFirst().amountMinor == captured,
          "INVARIANTS 5: " + who + " is captured for " + captured + " but the acquirer applied " + describe(applied));
      check(captured <= run.plan.amountMinor && (run.plan.held != Plan.Held.CAPTURE_PARTIAL
              || captured == run.plan.captureMinor),
          "INVARIANTS 3: " + who + " captured " + captured + ", the merchant asked " + run.plan.captureMinor);
    } else if (status.equals("canceled")) {
      check(applied.isEmpty() || !applied.getFirst().capture, "INVARIANTS 5: " + who + " is canceled but the acquirer"
          + " completed it: " + describe(applied));
      boolean heldAtRail = world.attempts(run.plan.index).stream().anyMatch(RailWorld.Truth::charged);
      check(!heldAtRail || applied.size() == 1 || stored.stream().anyMatch(o -> "void".equals(o.get("kind"))
              && "declined".equals(o.get("outcome")) && "expired".equals(reason)),
          "INVARIANTS 5: " + who + " is canceled but its authorization is still held at the acquirer");
    } else {
      check(applied.isEmpty(), "INVARIANTS 5: " + who + " is " + status + " but the acquirer applied " + describe(applied));
    }
    // The merchant's capture or cancel answers: what it was told holds; the key ends completed.
    for (int i = 0; i < run.opAnswers.size(); i++) {
      SimulationPayments.Answer answer = run.opAnswers.get(i);
      boolean last = i == run.opAnswers.size() - 1;
      if (answer.status() == 200) {
        String told = group(BODY_STATUS, answer.body());
        check(told.equals(status) && (run.opCapture ? "succeeded" : "canceled").equals(told),
            "INVARIANTS 17: " + who + "'s " + (run.opCapture ? "capture" : "cancel") + " was answered " + told
                + ", the payment is " + status);
      } else if (answer.status() == 409) {
        check(Set.of("payment_not_capturable", "payment_not_cancelable", "idempotency_in_progress").contains(answer.code()),
            "INVARIANTS 17: " + who + "'s capture or cancel answered 409 " + answer.code());
        check(!last || !"idempotency_in_progress".equals(answer.code()),
            "INVARIANTS 8: " + who + "'s capture or cancel key is still in progress at the end");
      } else {
        check(answer.status() == 503 && "service_unavailable".equals(answer.code()),
            "INVARIANTS 17: " + who + "'s capture or cancel answered " + answer.status() + " " + answer.code());
      }
    }
    List<Map<String, Object>> key = rows("SELECT state FROM idempotency_keys WHERE merchant_id = :merchant"
        + " AND idempotency_key = :key", Map.of("merchant", run.merchantId, "key", run.opKey));
    check(key.stream().allMatch(k -> "completed".equals(k.get("state"))),
        "INVARIANTS 8: " + who + "'s capture or cancel key is " + key);
    // 3-D Secure results: a replayed one is refused, none is a raw error.
    for (String answer : run.authAnswers) {
      check(Set.of("succeeded", "failed", "canceled", "processing", "requires_capture", "requires_action",
              "authentication_result_invalid").contains(answer),
          "INVARIANTS 17: " + who + "'s 3-D Secure result was answered " + answer);
    }
    if (run.plan.challenge == null) {
      check(run.authAnswers.isEmpty(), "3-D Secure: " + who + " was never challenged but took a result");
    }
  }

  private static String describe(List<RailWorld.Operation> operations) {
    return operations.stream().map(o -> (o.capture ? "capture " : "void ") + o.amountMinor).toList().toString();
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
