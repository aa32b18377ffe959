package org.malipo.loadtest;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.responseTimeInMillis;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Rail failure drill (issue 5, "Done when"): constant card load while the sandbox acquirer
 * {@code rail} (acquirer_a) is first slowed to {@code slowMs} (2 s), then fails outright, then
 * recovers, through the operator route {@code PUT /v1/sandbox/rails/{rail}/faults}.
 *
 * <p>After a warm-up ramp of {@code warmupSeconds} (15, not in the phase figures), phases, in
 * seconds: {@code normalSeconds} (20), {@code slowSeconds} (30), {@code failSeconds}
 * (30), {@code recoverSeconds} (45), at {@code rate} payments per second (40) throughout. Every
 * answer is recorded (status, latency, provider, attempts); the circuit-breaker state of every rail
 * is sampled each second from {@code /actuator/prometheus}. At the end {@link DrillReport} prints
 * per phase the throughput per rail, latencies, the shed ({@code 503}) requests and their p99, the
 * circuit transitions, and checks that no payment was charged twice or lost (ledger deltas per
 * rail against the succeeded answers, the payments list against the answers, trial-balance
 * checks). The last line is {@code RESULT: PASS} or {@code RESULT: FAIL (...)}.
 *
 * <p>System properties: {@code baseUrl}, {@code clientId}/{@code clientSecret} (demo_client),
 * {@code adminClientId}/{@code adminClientSecret} (admin_client), {@code rate}, the phase lengths
 * above, {@code rail} (acquirer_a), {@code slowMs} (2000), {@code amount} (1500 minor units, KES),
 * {@code maxShedP99Ms} (50), {@code maxConnections} (200).
 */
public final class RailFailureSimulation extends Simulation {

  private final String baseUrl = stripTrailingSlash(property("baseUrl", "http://127.0.0.1:8080"));
  private final double ratePerSecond = Double.parseDouble(property("rate", "40"));
  private final long warmupSeconds = Long.parseLong(property("warmupSeconds", "15"));
  private final long normalSeconds = Long.parseLong(property("normalSeconds", "20"));
  private final long slowSeconds = Long.parseLong(property("slowSeconds", "30"));
  private final long failSeconds = Long.parseLong(property("failSeconds", "30"));
  private final long recoverSeconds = Long.parseLong(property("recoverSeconds", "45"));
  private final String rail = property("rail", "acquirer_a");
  private final int slowMs = Integer.parseInt(property("slowMs", "2000"));
  private final long amountMinor = Long.parseLong(property("amount", "1500"));
  private final long maxShedP99Ms = Long.parseLong(property("maxShedP99Ms", "50"));
  private final int maxConnections = Integer.parseInt(property("maxConnections", "200"));

  private final GatewayClient gateway = new GatewayClient(baseUrl);
  private final ConcurrentLinkedQueue<DrillReport.Answer> answers = new ConcurrentLinkedQueue<>();
  private final ScheduledExecutorService drill = Executors.newScheduledThreadPool(2, runnable -> {
    Thread thread = new Thread(runnable, "rail-failure-drill");
    thread.setDaemon(true);
    return thread;
  });
  private final DrillReport report;

  private volatile String merchantToken;

  // Not named `http`: that would shadow HttpDsl.http and fail to compile.
  private final HttpProtocolBuilder httpProtocol = http
      .baseUrl(baseUrl)
      .warmUp(baseUrl + "/actuator/health/liveness")
      .acceptHeader("application/json")
      .shareConnections()
      .maxConnectionsPerHost(maxConnections);

  private final ScenarioBuilder cardPayments = scenario("card payments during a rail failure")
      .exec(session -> session.set("idempotencyKey", UUID.randomUUID().toString())
          .set("startedAtMs", System.currentTimeMillis()))
      .exec(http("create card payment")
          .post("/v1/payments")
          .header("Authorization", session -> "Bearer " + merchantToken)
          .header("Idempotency-Key", "#{idempotencyKey}")
          .header("Content-Type", "application/json")
          .body(StringBody(session -> paymentJson(session.getString("idempotencyKey"))))
          .check(
              status().saveAs("httpStatus"),
              responseTimeInMillis().saveAs("responseTimeMs"),
              jsonPath("$.id").optional().saveAs("paymentId"),
              jsonPath("$.status").optional().saveAs("paymentStatus"),
              jsonPath("$.provider").optional().saveAs("provider"),
              jsonPath("$.attempts").ofInt().optional().saveAs("attempts"),
              jsonPath("$.code").optional().saveAs("problemCode"),
              // 201 (a payment, whatever its outcome) and 503 (shed at once) are the designed answers.
              status().in(201, 503)))
      .exec(this::record);

  {
    List<String> problems = new ArrayList<>();
    if (ratePerSecond <= 0 || warmupSeconds < 0 || normalSeconds <= 0 || slowSeconds <= 0 || failSeconds <= 0 || recoverSeconds <= 0) {
      problems.add("rate and every phase length must be > 0");
    }
    if (!rail.matches("[a-z0-9_]{1,40}")) {
      problems.add("rail must match [a-z0-9_]{1,40}");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    report = new DrillReport(rail, amountMinor, maxShedP99Ms,
        new long[] {warmupSeconds, normalSeconds, slowSeconds, failSeconds, recoverSeconds});
    long totalSeconds = normalSeconds + slowSeconds + failSeconds + recoverSeconds;
    // The warm-up ramp lets the JIT, pools and caches settle; it is not part of the phase figures.
    setUp(cardPayments.injectOpen(
            rampUsersPerSec(1).to(ratePerSecond).during(Duration.ofSeconds(Math.max(1, warmupSeconds))),
            constantUsersPerSec(ratePerSecond).during(Duration.ofSeconds(totalSeconds)))
        .protocols(httpProtocol))
        // Only transport errors and undocumented statuses count here; the drill's own checks are
        // the RESULT line printed at the end.
        .assertions(global().failedRequests().percent().lt(1.0));
  }

  @Override
  public void before() {
    merchantToken = gateway.token(property("clientId", "demo_client"), property("clientSecret", "demo_secret"));
    String admin = gateway.token(property("adminClientId", "admin_client"), property("adminClientSecret", "admin_secret"));
    report.adminToken(admin);
    gateway.setFaults(admin, rail, 0, false); // start from a healthy rail
    report.ledgerBefore(gateway.railClearingBalances(admin));
    Instant start = Instant.now();
    report.start(start);
    System.out.printf("drill: %s at %.0f/s; warm-up %d s, then phases normal %d s, slow (%d ms) %d s, fail %d s, "
        + "recover %d s%n", rail, ratePerSecond, warmupSeconds, normalSeconds, slowMs, slowSeconds, failSeconds, recoverSeconds);
    long normalAt = Math.max(1, warmupSeconds);
    drill.schedule(() -> phase(admin, "normal", 0, false), normalAt, TimeUnit.SECONDS);
    drill.schedule(() -> phase(admin, "slow", slowMs, false), normalAt + normalSeconds, TimeUnit.SECONDS);
    drill.schedule(() -> phase(admin, "fail", 0, true), normalAt + normalSeconds + slowSeconds, TimeUnit.SECONDS);
    drill.schedule(() -> phase(admin, "recover", 0, false), normalAt + normalSeconds + slowSeconds + failSeconds,
        TimeUnit.SECONDS);
    drill.scheduleAtFixedRate(() -> {
      try {
        report.sample(gateway.metrics());
      } catch (RuntimeException e) {
        System.err.println("drill: metrics sample failed: " + e.getMessage());
      }
    }, 0, 1, TimeUnit.SECONDS);
  }

  @Override
  public void after() {
    drill.shutdownNow();
    String admin = report.adminToken();
    try {
      gateway.setFaults(admin, rail, 0, false);
      report.sample(gateway.metrics());
      report.ledgerAfter(gateway.railClearingBalances(admin), gateway.trialBalanceChecks(admin));
      report.listed(gateway.paymentsSince(merchantToken, report.startedAt().minusSeconds(1)));
      report.shedLeftNoTrace(gateway, merchantToken);
    } catch (RuntimeException e) {
      report.fail("final checks could not run: " + e);
    }
    report.print(new ArrayList<>(answers));
  }

  private void phase(String admin, String name, int latencyMs, boolean fail) {
    try {
      gateway.setFaults(admin, rail, latencyMs, fail);
      report.phaseStarted(name, Instant.now());
      System.out.printf("drill: %s phase: %s latency_ms=%d fail=%s%n", name, rail, latencyMs, fail);
    } catch (RuntimeException e) {
      report.fail("could not switch to the " + name + " phase: " + e.getMessage());
    }
  }

  private Session record(Session session) {
    Integer attempts = session.contains("attempts") ? session.getInt("attempts") : null;
    answers.add(new DrillReport.Answer(
        session.getLong("startedAtMs"),
        session.contains("httpStatus") ? session.getInt("httpStatus") : 0,
        session.contains("responseTimeMs") ? session.getInt("responseTimeMs") : -1,
        session.getString("idempotencyKey"),
        session.contains("paymentId") ? session.getString("paymentId") : null,
        session.contains("paymentStatus") ? session.getString("paymentStatus") : null,
        session.contains("provider") ? session.getString("provider") : null,
        attempts == null ? -1 : attempts,
        session.contains("problemCode") ? session.getString("problemCode") : null));
    return session;
  }

  private String paymentJson(String idempotencyKey) {
    return """
        {"amount":%d,"currency":"KES","payment_method":{"type":"card","number":"4242424242424242",\
        "exp_month":12,"exp_year":2030,"cvc":"123"},"reference":"drill-%s"}"""
        .formatted(amountMinor, idempotencyKey.substring(0, 13));
  }

  private static String property(String name, String defaultValue) {
    String value = System.getProperty(name);
    return value == null || value.isBlank() ? defaultValue : value.trim();
  }

  private static String stripTrailingSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
