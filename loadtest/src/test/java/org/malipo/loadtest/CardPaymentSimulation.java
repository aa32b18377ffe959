package org.malipo.loadtest;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.doIfOrElse;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.core.CoreDsl.substring;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Smoke load test of the card payment path: an open workload of {@code POST /v1/payments} with the
 * sandbox card {@code 4242 4242 4242 4242}, each request checked for {@code 201} and
 * {@code status: succeeded}.
 *
 * <p>Arrivals ramp from 1 payment/s to {@code rate} payments/s over {@code rampSeconds}, then hold
 * {@code rate} for {@code duration} seconds. The run fails when more than {@code maxErrorPercent}
 * percent of requests fail. One OAuth access token is fetched before the load starts and shared by
 * every request, as a merchant backend would; it is refreshed in the background well before it
 * expires, so runs longer than the token's lifetime keep working. The token request is not part of
 * the measured statistics.
 *
 * <p>With {@code settleSeconds} &gt; 0 the load runs at {@code rate} for that long after the ramp
 * before the measured phase, and its requests are silent (Gatling leaves them out of every
 * statistic): a load generator that starts a fresh JVM for each step is still compiling its own
 * code during its first seconds, and on a 2-core machine shared with the gateway that shows up as
 * the gateway's latency. With {@code markerDir} set, the files {@code measure-start} and
 * {@code measure-end} are written there when the measured phase starts and when the last virtual
 * user has finished, each holding this JVM's CPU time so far in ns, so loadtest/bench.sh can take
 * its CPU figures, the load generator's own included, over the measured phase only.
 *
 * <p>With {@code method=mpesa} the payments are M-Pesa STK pushes to the sandbox's succeeding test
 * number instead, each checked for {@code 201} and {@code status: pending} (the callback finishes
 * them later); loadtest/bench.sh uses it for its mobile-money scenario.
 *
 * <p>System properties (all optional): {@code baseUrl} (http://127.0.0.1:8080), {@code clientId}
 * (demo_client), {@code clientSecret} (demo_secret), {@code rate} (payments per second, 50),
 * {@code duration} (seconds, 30), {@code rampSeconds} (5), {@code settleSeconds} (0),
 * {@code markerDir} (none), {@code currency} (KES), {@code amount} (minor units, 1500),
 * {@code maxErrorPercent} (1), {@code maxConnections} (200), {@code method} ({@code card} or
 * {@code mpesa}).
 *
 * <p>The gateway must already be running; {@code loadtest/run.sh} checks that before starting.
 */
public final class CardPaymentSimulation extends Simulation {

  private final String baseUrl = stripTrailingSlash(property("baseUrl", "http://127.0.0.1:8080"));
  private final String clientId = property("clientId", "demo_client");
  private final String clientSecret = property("clientSecret", "demo_secret");
  private final double ratePerSecond = positive("rate", Double.parseDouble(property("rate", "50")));
  private final long durationSeconds = positive("duration", Long.parseLong(property("duration", "30")));
  private final long rampSeconds = Long.parseLong(property("rampSeconds", "5"));
  private final long settleSeconds = Long.parseLong(property("settleSeconds", "0"));
  private final String markerDir = property("markerDir", "");
  private final String currency = property("currency", "KES");
  private final long amountMinor = positive("amount", Long.parseLong(property("amount", "1500")));
  private final double maxErrorPercent = Double.parseDouble(property("maxErrorPercent", "1"));
  private final int maxConnections = (int) positive("maxConnections", Integer.parseInt(property("maxConnections", "200")));
  private final boolean mpesa = "mpesa".equals(property("method", "card"));

  private final TokenSource tokens = new TokenSource(baseUrl, clientId, clientSecret);

  // Not named `http`: that would shadow HttpDsl.http and fail to compile.
  private final HttpProtocolBuilder httpProtocol = http
      .baseUrl(baseUrl)
      // Gatling's default warm-up request goes to an outside host; warm its client up against the
      // gateway instead (the load must only reach the gateway under test).
      .warmUp(baseUrl + "/actuator/health/liveness")
      .acceptHeader("application/json")
      // A merchant backend talks through a pooled keep-alive client, not one TCP connection per
      // payment; sharing also keeps a long run from exhausting ephemeral ports on a small box.
      .shareConnections()
      .maxConnectionsPerHost(maxConnections);

  private final HttpRequestActionBuilder createPayment = http(mpesa ? "create mpesa payment" : "create card payment")
      .post("/v1/payments")
      .header("Authorization", session -> "Bearer " + tokens.current())
      .header("Idempotency-Key", "#{idempotencyKey}")
      .header("Content-Type", "application/json")
      .body(StringBody(session -> paymentJson(session.getString("idempotencyKey"))))
      // A substring, not a JSON path: on a 2-core box the load generator's CPU is the gateway's.
      .check(status().is(201), substring(mpesa ? "\"status\":\"pending\"" : "\"status\":\"succeeded\""));

  /** System.nanoTime() at which the measured phase starts; set in before(). */
  private volatile long measureFromNanos = Long.MIN_VALUE;

  private final ScenarioBuilder cardPayments = scenario(mpesa ? "mpesa payments" : "card payments")
      // One fresh key per payment: every request is a new payment, never an idempotent replay.
      .exec(session -> session.set("idempotencyKey", UUID.randomUUID().toString()))
      // Requests sent while settling are real payments, left out of the statistics.
      .exec(doIfOrElse(session -> System.nanoTime() < measureFromNanos)
          .then(exec(createPayment.silent()))
          .orElse(exec(createPayment)));

  {
    if (rampSeconds < 0 || settleSeconds < 0) {
      throw new IllegalArgumentException("rampSeconds and settleSeconds must be >= 0, were " + rampSeconds + " and " + settleSeconds);
    }
    if (maxErrorPercent < 0 || maxErrorPercent > 100) {
      throw new IllegalArgumentException("maxErrorPercent must be within 0..100, was " + maxErrorPercent);
    }
    // The currency is pasted into the JSON body: accept only what can be an ISO 4217 code.
    if (!currency.matches("[A-Z]{3}")) {
      throw new IllegalArgumentException("currency must be three upper-case letters, was " + currency);
    }

    List<OpenInjectionStep> injection = new ArrayList<>();
    if (rampSeconds > 0) {
      injection.add(rampUsersPerSec(1).to(ratePerSecond).during(Duration.ofSeconds(rampSeconds)));
    }
    injection.add(constantUsersPerSec(ratePerSecond).during(Duration.ofSeconds(settleSeconds + durationSeconds)));

    setUp(cardPayments.injectOpen(injection).protocols(httpProtocol))
        .assertions(global().failedRequests().percent().lt(maxErrorPercent));
  }

  @Override
  public void before() {
    // Fail before any load is sent if the gateway refuses the credentials.
    tokens.start();
    long settleNanos = TimeUnit.SECONDS.toNanos(rampSeconds + settleSeconds);
    measureFromNanos = System.nanoTime() + settleNanos;
    if (!markerDir.isEmpty()) {
      tokens.scheduler().schedule(() -> writeMarker("measure-start"), settleNanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void after() {
    tokens.stop();
    if (!markerDir.isEmpty()) {
      writeMarker("measure-end");
    }
  }

  /** A marker holds the load generator's own CPU time so far (ns): its cost per payment, without Maven's. */
  private void writeMarker(String name) {
    long cpuNanos = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    try {
      Files.writeString(Path.of(markerDir, name), Long.toString(cpuNanos));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the marker " + name + " to " + markerDir, e);
    }
  }

  private String paymentJson(String idempotencyKey) {
    // 13 characters of a random UUID: 48 random bits, enough to never repeat within a run, and the
    // reference still points back to the Idempotency-Key in the gateway's logs.
    String reference = "load-" + idempotencyKey.substring(0, 13);
    if (mpesa) {
      return """
          {"amount":%d,"currency":"KES","payment_method":{"type":"mobile_money","operator":"mpesa",\
          "msisdn":"+254708374149"},"reference":"%s"}"""
          .formatted(amountMinor, reference);
    }
    return """
        {"amount":%d,"currency":"%s","payment_method":{"type":"card","number":"4242424242424242",\
        "exp_month":12,"exp_year":2030,"cvc":"123"},"reference":"%s"}"""
        .formatted(amountMinor, currency, reference);
  }

  private static String property(String name, String defaultValue) {
    String value = System.getProperty(name);
    return value == null || value.isBlank() ? defaultValue : value.trim();
  }

  private static <N extends Number> N positive(String name, N value) {
    if (value.doubleValue() <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, was " + value);
    }
    return value;
  }

  private static String stripTrailingSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /**
   * The merchant's access token, fetched with client credentials and refreshed on a background
   * thread at two thirds of its lifetime (10 minutes for the gateway's 15), so virtual users only
   * read a field and never wait on the token endpoint.
   */
  private static final class TokenSource {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final long RETRY_SECONDS = 30;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final ObjectMapper json = new ObjectMapper();
    private final URI tokenUri;
    private final String basicAuthorization;
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "token-refresher");
      thread.setDaemon(true); // never keeps the JVM alive after the run
      return thread;
    });
    private volatile String accessToken;

    TokenSource(String baseUrl, String clientId, String clientSecret) {
      this.tokenUri = URI.create(baseUrl + "/v1/oauth/token");
      // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
      String credentials = formEncode(clientId) + ":" + formEncode(clientSecret);
      this.basicAuthorization =
          "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    }

    String current() {
      return accessToken;
    }

    /** The refresher's single thread, also used for the simulation's phase markers. */
    ScheduledExecutorService scheduler() {
      return refresher;
    }

    void start() {
      long expiresInSeconds = fetch();
      scheduleRefresh(expiresInSeconds);
    }

    void stop() {
      refresher.shutdownNow();
    }

    private void scheduleRefresh(long expiresInSeconds) {
      long delaySeconds = Math.max(RETRY_SECONDS, expiresInSeconds * 2 / 3);
      refresher.schedule(this::refresh, delaySeconds, TimeUnit.SECONDS);
    }

    private void refresh() {
      try {
        scheduleRefresh(fetch());
      } catch (RuntimeException e) {
        // The current token is still valid for a third of its lifetime: keep it and try again soon.
        System.err.println("token refresh failed, retrying in " + RETRY_SECONDS + " s: " + e.getMessage());
        refresher.schedule(this::refresh, RETRY_SECONDS, TimeUnit.SECONDS);
      }
    }

    /** Fetches a token, stores it, and returns its lifetime in seconds. */
    private long fetch() {
      HttpRequest request = HttpRequest.newBuilder(tokenUri)
          .timeout(TIMEOUT)
          .header("Authorization", basicAuthorization)
          .header("Content-Type", "application/x-www-form-urlencoded")
          .header("Accept", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
          .build();
      HttpResponse<String> response;
      try {
        response = client.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        throw new IllegalStateException("token request to " + tokenUri + " failed: " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while fetching a token", e);
      }
      if (response.statusCode() != 200) {
        // The body is an RFC 9457 problem (or RFC 6749 error); it carries no secret worth hiding.
        throw new IllegalStateException(
            "token request to " + tokenUri + " answered " + response.statusCode() + ": " + response.body());
      }
      JsonNode body;
      try {
        body = json.readTree(response.body());
      } catch (IOException e) {
        throw new IllegalStateException("token response is not JSON: " + e.getMessage(), e);
      }
      String token = body.path("access_token").asText("");
      if (token.isEmpty() || !"bearer".equalsIgnoreCase(body.path("token_type").asText(""))) {
        throw new IllegalStateException("token response has no bearer access_token: fields " + fieldNames(body));
      }
      accessToken = token;
      return body.path("expires_in").asLong(0);
    }

    private static List<String> fieldNames(JsonNode body) {
      List<String> names = new ArrayList<>();
      body.fieldNames().forEachRemaining(names::add);
      return names;
    }

    private static String formEncode(String value) {
      return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
  }
}
