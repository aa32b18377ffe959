package org.malipo.loadtest;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What the rail failure drill saw, and its closing note: figures per phase, the circuit
 * transitions, and the money checks. Thread-safe where the drill's threads write to it.
 */
final class DrillReport {

  private static final String[] PHASES = {"warmup", "normal", "slow", "fail", "recover"};
  private static final Pattern CIRCUIT = Pattern.compile("^resilience4j_circuitbreaker_state\\{([^}]*)}\\s+(\\S+)");
  private static final Pattern HEALTH = Pattern.compile("^malipo_rail_health\\{([^}]*)}\\s+(\\S+)");
  private static final Pattern IN_FLIGHT = Pattern.compile("^malipo_payments_in_flight(?:\\{[^}]*})?\\s+(\\S+)");
  /** Server-side latency of shed answers: 503s of POST, from the http.server.requests histogram. */
  private static final Pattern SHED_BUCKET = Pattern.compile("^http_server_requests_seconds_bucket\\{([^}]*)}\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");
  /** Sheds checked one by one against the payments list: enough to catch a leak, cheap to run. */
  private static final int SHED_SAMPLE = 200;

  /** One answer to {@code POST /v1/payments}. */
  record Answer(long startedAtMs, int httpStatus, int responseTimeMs, String idempotencyKey, String paymentId,
      String paymentStatus, String provider, int attempts, String problemCode) {

    /** A request refused at once by the in-flight ceiling ({@code 503 overloaded}). */
    boolean shed() {
      return httpStatus == 503 && "overloaded".equals(problemCode);
    }
  }

  private final String rail;
  private final long amountMinor;
  private final long maxShedP99Ms;
  private final long[] phaseSeconds;
  private final Map<String, Instant> phaseStarts = new ConcurrentHashMap<>();
  private final Map<String, String> circuitStates = new ConcurrentHashMap<>();
  private final List<String> transitions = Collections.synchronizedList(new ArrayList<>());
  private final List<String> healthSamples = Collections.synchronizedList(new ArrayList<>());
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  private volatile String adminToken;
  private volatile Instant start;
  private volatile double maxInFlight;
  private volatile Map<Double, Double> shedBucketsFirst;
  private volatile Map<Double, Double> shedBucketsLast = Map.of();
  private volatile Map<String, Long> ledgerBefore = Map.of();
  private volatile Map<String, Long> ledgerAfter = Map.of();
  private volatile List<String> failedTrialChecks = List.of();
  private volatile List<GatewayClient.Listed> listed = List.of();
  private volatile String shedTrace = "not checked";

  DrillReport(String rail, long amountMinor, long maxShedP99Ms, long[] phaseSeconds) {
    this.rail = rail;
    this.amountMinor = amountMinor;
    this.maxShedP99Ms = maxShedP99Ms;
    this.phaseSeconds = phaseSeconds.clone();
  }

  void adminToken(String token) {
    adminToken = token;
  }

  String adminToken() {
    return adminToken;
  }

  void start(Instant at) {
    start = at;
    phaseStarts.put("warmup", at);
  }

  Instant startedAt() {
    return start;
  }

  void phaseStarted(String phase, Instant at) {
    phaseStarts.put(phase, at);
  }

  void fail(String reason) {
    failures.add(reason);
  }

  void ledgerBefore(Map<String, Long> balances) {
    ledgerBefore = balances;
  }

  void ledgerAfter(Map<String, Long> balances, List<String> failedChecks) {
    ledgerAfter = balances;
    failedTrialChecks = failedChecks;
  }

  void listed(List<GatewayClient.Listed> payments) {
    listed = payments;
  }

  /** Reads the circuit states, health scores and in-flight count from one Prometheus scrape. */
  void sample(String prometheus) {
    long second = start == null ? 0 : Duration.between(start, Instant.now()).toSeconds();
    StringBuilder health = new StringBuilder();
    Map<Double, Double> shedBuckets = new TreeMap<>();
    for (String line : prometheus.split("\n")) {
      Matcher bucket = SHED_BUCKET.matcher(line);
      if (bucket.find()) {
        Map<String, String> labels = labels(bucket.group(1));
        // The in-flight ceiling answers before routing: uri UNKNOWN, no exception (other 503s, such
        // as a database pool timeout, carry their exception and are not sheds).
        if ("503".equals(labels.get("status")) && "POST".equals(labels.get("method"))
            && "none".equals(labels.get("exception"))) {
          double le = labels.get("le").equals("+Inf") ? Double.MAX_VALUE : Double.parseDouble(labels.get("le"));
          shedBuckets.merge(le, Double.parseDouble(bucket.group(2)), Double::sum);
        }
      }
      Matcher circuit = CIRCUIT.matcher(line);
      if (circuit.find() && Double.parseDouble(circuit.group(2)) >= 1.0) {
        Map<String, String> labels = labels(circuit.group(1));
        String name = labels.get("name");
        String state = labels.get("state");
        String before = circuitStates.put(name, state);
        if (before != null && !before.equals(state)) {
          transitions.add(String.format("t=%3ds %s: %s -> %s (%s phase)", second, name, before.toUpperCase(),
              state.toUpperCase(), phaseAt(System.currentTimeMillis())));
        }
      }
      Matcher score = HEALTH.matcher(line);
      if (score.find()) {
        health.append(' ').append(labels(score.group(1)).get("rail")).append('=')
            .append(String.format("%.2f", Double.parseDouble(score.group(2))));
      }
      Matcher inFlight = IN_FLIGHT.matcher(line);
      if (inFlight.find()) {
        maxInFlight = Math.max(maxInFlight, Double.parseDouble(inFlight.group(1)));
      }
    }
    if (shedBucketsFirst == null) {
      shedBucketsFirst = shedBuckets;
    }
    shedBucketsLast = shedBuckets;
    if (!health.isEmpty() && second % 5 == 0) {
      healthSamples.add(String.format("t=%3ds%s", second, health));
    }
  }

  /** Checks a sample of the shed requests' keys: none may have left a payment behind. */
  void shedLeftNoTrace(GatewayClient gateway, String merchantToken) {
    // Filled in by print() from the answers; kept here so the HTTP calls happen in after().
    this.pendingShedCheck = keys -> {
      int traces = 0;
      for (String key : keys) {
        traces += gateway.paymentsWithKey(merchantToken, key);
      }
      return traces;
    };
  }

  private volatile java.util.function.ToIntFunction<List<String>> pendingShedCheck;

  /** Prints the closing note; its last line is {@code RESULT: PASS} or {@code RESULT: FAIL (...)}. */
  void print(List<Answer> answers) {
    StringBuilder out = new StringBuilder();
    out.append("\n================ rail failure drill: closing note ================\n");
    out.append(String.format("failed rail %s; %d answers; phase starts:", rail, answers.size()));
    for (String phase : PHASES) {
      Instant at = phaseStarts.get(phase);
      out.append(' ').append(phase).append(at == null ? "=never" : "=+" + Duration.between(start, at).toSeconds() + "s");
    }
    out.append('\n');
    out.append(String.format("%-8s %6s %6s %9s %9s %11s %11s %6s %10s %6s %s%n", "phase", "sent", "201", "succ/s",
        "healthy/s", "201 p50 ms", "201 p99 ms", "shed", "shed p99", "other", "attempts (count: payments)"));
    String healthyRail = null;
    Map<String, List<Answer>> byPhase = new LinkedHashMap<>();
    for (String phase : PHASES) {
      byPhase.put(phase, new ArrayList<>());
    }
    for (Answer answer : answers) {
      byPhase.get(phaseAt(answer.startedAtMs())).add(answer);
    }
    Set<String> rails = answers.stream().map(Answer::provider).filter(p -> p != null && !p.equals(rail))
        .collect(Collectors.toCollection(java.util.TreeSet::new));
    if (!rails.isEmpty()) {
      healthyRail = rails.iterator().next();
    }
    List<Integer> allShed = new ArrayList<>();
    double failPhaseHealthyRate = -1;
    double normalPhaseRate = 0;
    for (int i = 0; i < PHASES.length; i++) {
      String phase = PHASES[i];
      List<Answer> in = byPhase.get(phase);
      long seconds = Math.max(1, phaseSeconds[i]);
      List<Integer> created = times(in, 201);
      List<Integer> shed = in.stream().filter(Answer::shed).map(Answer::responseTimeMs).sorted().toList();
      allShed.addAll(shed);
      long succeeded = in.stream().filter(a -> "succeeded".equals(a.paymentStatus())).count();
      String healthy = healthyRail;
      long onHealthy = in.stream().filter(a -> "succeeded".equals(a.paymentStatus()) && a.provider() != null
          && a.provider().equals(healthy)).count();
      long other = in.stream().filter(a -> a.httpStatus() != 201 && !a.shed()).count();
      Map<Integer, Long> attempts = in.stream().filter(a -> a.httpStatus() == 201)
          .collect(Collectors.groupingBy(Answer::attempts, TreeMap::new, Collectors.counting()));
      if (phase.equals("fail")) {
        failPhaseHealthyRate = (double) onHealthy / seconds;
      }
      if (phase.equals("normal")) {
        normalPhaseRate = (double) succeeded / seconds;
      }
      out.append(String.format("%-8s %6d %6d %9.1f %9.1f %11s %11s %6d %10s %6d %s%n", phase, in.size(), created.size(),
          (double) succeeded / seconds, (double) onHealthy / seconds, percentile(created, 50), percentile(created, 99),
          shed.size(), percentile(shed, 99), other, attempts));
    }
    out.append(String.format("healthy rail: %s; succ/s = succeeded payments per second of the phase (by start time)%n",
        healthyRail));
    out.append(String.format("shed (503 overloaded) overall: %d, p99 %s ms at the load generator (limit %d ms); "
        + "server side (http_server_requests 503, histogram bucket bound) p99 <= %s ms; max in flight seen %.0f%n",
        allShed.size(), percentile(allShed, 99), maxShedP99Ms, serverShedP99Ms(), maxInFlight));
    out.append("circuit transitions (sampled each second from /actuator/prometheus):\n");
    synchronized (transitions) {
      if (transitions.isEmpty()) {
        out.append("  none\n");
      }
      transitions.forEach(t -> out.append("  ").append(t).append('\n'));
    }
    out.append("final circuit states: ").append(new TreeMap<>(circuitStates)).append('\n');
    out.append("health scores (malipo_rail_health, every 5 s):\n");
    synchronized (healthSamples) {
      healthSamples.forEach(h -> out.append("  ").append(h).append('\n'));
    }

    // Money checks.
    List<String> problems = new ArrayList<>(failures);
    Map<String, Long> succeededByRail = answers.stream().filter(a -> "succeeded".equals(a.paymentStatus()))
        .collect(Collectors.groupingBy(Answer::provider, TreeMap::new, Collectors.counting()));
    Set<String> ledgerRails = new HashSet<>(ledgerAfter.keySet());
    ledgerRails.addAll(succeededByRail.keySet());
    out.append("ledger (rail clearing accounts, KES) against succeeded answers:\n");
    for (String name : new java.util.TreeSet<>(ledgerRails)) {
      long delta = ledgerAfter.getOrDefault(name, 0L) - ledgerBefore.getOrDefault(name, 0L);
      long expected = succeededByRail.getOrDefault(name, 0L) * amountMinor;
      out.append(String.format("  %-12s delta %12d, succeeded %6d x %d = %12d %s%n", name, delta,
          succeededByRail.getOrDefault(name, 0L), amountMinor, expected, delta == expected ? "ok" : "MISMATCH"));
      if (delta != expected) {
        problems.add("ledger delta of " + name + " is " + delta + ", succeeded answers say " + expected);
      }
    }
    out.append("trial balance checks: ").append(failedTrialChecks.isEmpty() ? "all passed" : failedTrialChecks).append('\n');
    if (!failedTrialChecks.isEmpty()) {
      problems.add("trial balance checks failed: " + failedTrialChecks);
    }
    Set<String> answeredIds = answers.stream().filter(a -> a.httpStatus() == 201 && a.paymentId() != null)
        .map(Answer::paymentId).collect(Collectors.toSet());
    Set<String> listedIds = listed.stream().map(GatewayClient.Listed::id).collect(Collectors.toSet());
    Set<String> lost = new HashSet<>(answeredIds);
    lost.removeAll(listedIds);
    Set<String> unanswered = new HashSet<>(listedIds);
    unanswered.removeAll(answeredIds);
    long processing = listed.stream().filter(p -> !p.status().equals("succeeded") && !p.status().equals("failed")).count();
    Map<Integer, Long> listedAttempts = listed.stream()
        .collect(Collectors.groupingBy(GatewayClient.Listed::attempts, TreeMap::new, Collectors.counting()));
    out.append(String.format("payments: %d answered 201, %d listed by GET /v1/payments; lost %d, without an answer %d, "
        + "not final %d; attempts per payment %s%n", answeredIds.size(), listedIds.size(), lost.size(),
        unanswered.size(), processing, listedAttempts));
    if (!lost.isEmpty()) {
      problems.add(lost.size() + " answered payments are missing from the list");
    }
    if (!unanswered.isEmpty()) {
      problems.add(unanswered.size() + " listed payments got no 201 answer");
    }
    if (listed.stream().anyMatch(p -> p.attempts() < 1 || p.attempts() > 2)) {
      problems.add("a payment has fewer than 1 or more than 2 attempts");
    }
    Map<String, Long> others = answers.stream().filter(a -> a.httpStatus() != 201 && !a.shed())
        .collect(Collectors.groupingBy(a -> a.httpStatus() + " " + a.problemCode(), TreeMap::new, Collectors.counting()));
    out.append("other answers (status code: count): ").append(others.isEmpty() ? "none" : others).append('\n');
    List<String> shedKeys = answers.stream().filter(Answer::shed).map(Answer::idempotencyKey)
        .limit(SHED_SAMPLE).toList();
    if (pendingShedCheck != null) {
      try {
        int traces = pendingShedCheck.applyAsInt(shedKeys);
        shedTrace = traces + " payments under " + shedKeys.size() + " shed keys checked";
        if (traces > 0) {
          problems.add(shedTrace);
        }
      } catch (RuntimeException e) {
        problems.add("shed keys could not be checked: " + e.getMessage());
      }
    }
    out.append("shed requests left no trace: ").append(shedTrace).append('\n');

    // Resilience checks.
    Long shedP99 = percentileValue(allShed, 99);
    if (shedP99 != null && shedP99 >= maxShedP99Ms) {
      problems.add("shed p99 " + shedP99 + " ms is not under " + maxShedP99Ms + " ms");
    }
    boolean opened;
    synchronized (transitions) {
      opened = transitions.stream().anyMatch(t -> t.contains(" " + rail + ": ") && t.contains("-> OPEN "));
    }
    if (!opened) {
      problems.add("the circuit of " + rail + " was never seen OPEN");
    }
    if (!"closed".equals(circuitStates.get(rail))) {
      problems.add("the circuit of " + rail + " did not close again (last state " + circuitStates.get(rail) + ")");
    }
    // "Holds": with one rail down, the healthy rail alone carries at least 90 % of what both
    // carried in the normal phase.
    if (failPhaseHealthyRate < 0.9 * normalPhaseRate) {
      problems.add(String.format("the healthy rail carried %.1f/s while %s failed, against %.1f/s succeeded in the "
          + "normal phase", failPhaseHealthyRate, rail, normalPhaseRate));
    }
    out.append(problems.isEmpty() ? "RESULT: PASS\n" : "RESULT: FAIL (" + String.join("; ", problems) + ")\n");
    System.out.print(out);
  }

  /** p99 upper bound in ms of the 503s counted during the drill, from histogram deltas; "-" if none. */
  private String serverShedP99Ms() {
    Map<Double, Double> first = shedBucketsFirst == null ? Map.of() : shedBucketsFirst;
    Map<Double, Double> delta = new TreeMap<>();
    shedBucketsLast.forEach((le, count) -> delta.put(le, count - first.getOrDefault(le, 0.0)));
    double total = delta.getOrDefault(Double.MAX_VALUE, 0.0);
    if (total <= 0) {
      return "-";
    }
    for (Map.Entry<Double, Double> bucket : delta.entrySet()) {
      if (bucket.getValue() >= 0.99 * total) {
        return bucket.getKey() == Double.MAX_VALUE ? "+Inf" : String.format("%.1f", bucket.getKey() * 1000);
      }
    }
    return "+Inf";
  }

  private String phaseAt(long epochMs) {
    String current = "warmup";
    for (String phase : PHASES) {
      Instant at = phaseStarts.get(phase);
      if (at != null && at.toEpochMilli() <= epochMs) {
        current = phase;
      }
    }
    return current;
  }

  private static List<Integer> times(List<Answer> answers, int status) {
    return answers.stream().filter(a -> a.httpStatus() == status).map(Answer::responseTimeMs).sorted().toList();
  }

  private static String percentile(List<Integer> sorted, int percent) {
    Long value = percentileValue(sorted, percent);
    return value == null ? "-" : Long.toString(value);
  }

  /** Nearest-rank percentile of an ascending list; null when empty. */
  private static Long percentileValue(List<Integer> values, int percent) {
    if (values.isEmpty()) {
      return null;
    }
    List<Integer> sorted = values.stream().sorted().toList();
    int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
    return (long) sorted.get(Math.max(0, rank - 1));
  }

  private static Map<String, String> labels(String text) {
    Map<String, String> labels = new LinkedHashMap<>();
    Matcher label = LABEL.matcher(text);
    while (label.find()) {
      labels.put(label.group(1), label.group(2));
    }
    return labels;
  }
}
