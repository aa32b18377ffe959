package org.malipo.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The drill's side channel to the gateway, outside the measured load: tokens, the sandbox fault
 * route, metrics, the trial balance and the payments list. Blocking JDK HTTP client on the
 * drill's own threads, never on Gatling's.
 */
final class GatewayClient {

  private static final Duration TIMEOUT = Duration.ofSeconds(15);
  private static final int PAGE = 100;

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private final ObjectMapper json = new ObjectMapper();
  private final String baseUrl;

  GatewayClient(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** A payment listed by {@code GET /v1/payments}. */
  record Listed(String id, String status, String provider, int attempts, Instant createdAt) {}

  /** An access token by client credentials (RFC 6749 §4.4, HTTP Basic client authentication). */
  String token(String clientId, String clientSecret) {
    String credentials = form(clientId) + ":" + form(clientSecret);
    HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/oauth/token"))
        .timeout(TIMEOUT)
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
        .build();
    return read(send(request, 200)).path("access_token").asText();
  }

  /** {@code PUT /v1/sandbox/rails/{rail}/faults}. */
  void setFaults(String adminToken, String rail, int latencyMs, boolean fail) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/sandbox/rails/" + rail + "/faults"))
        .timeout(TIMEOUT)
        .header("Authorization", "Bearer " + adminToken)
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{\"latency_ms\":" + latencyMs + ",\"fail\":" + fail + "}"))
        .build();
    send(request, 200);
  }

  /** The Prometheus scrape, as text. */
  String metrics() {
    return send(get("/actuator/prometheus", null), 200);
  }

  /** KES balances of the rail clearing accounts ({@code rail:<name>:clearing:KES}), minor units. */
  Map<String, Long> railClearingBalances(String adminToken) {
    Map<String, Long> balances = new LinkedHashMap<>();
    for (JsonNode currency : read(send(get("/v1/ledger/trial_balance", adminToken), 200)).path("currencies")) {
      for (JsonNode account : currency.path("accounts")) {
        String id = account.path("account").asText();
        if (id.startsWith("rail:") && id.endsWith(":clearing:KES")) {
          balances.put(id.substring("rail:".length(), id.length() - ":clearing:KES".length()), account.path("balance").asLong());
        }
      }
    }
    return balances;
  }

  /** Names of the trial balance's failed invariant checks and unbalanced currencies; empty when all hold. */
  List<String> trialBalanceChecks(String adminToken) {
    JsonNode trial = read(send(get("/v1/ledger/trial_balance", adminToken), 200));
    List<String> failed = new ArrayList<>();
    for (JsonNode currency : trial.path("currencies")) {
      if (!currency.path("balanced").asBoolean(false)) {
        failed.add("unbalanced " + currency.path("currency").asText());
      }
    }
    for (JsonNode check : trial.path("checks")) {
      if (!check.path("passed").asBoolean(false)) {
        failed.add(check.path("name").asText());
      }
    }
    return failed;
  }

  /** The merchant's payments created at or after {@code since}, newest first, paging by cursor. */
  List<Listed> paymentsSince(String token, Instant since) {
    List<Listed> payments = new ArrayList<>();
    String startingAfter = null;
    while (true) {
      String query = "/v1/payments?limit=" + PAGE + (startingAfter == null ? "" : "&starting_after=" + startingAfter);
      JsonNode page = read(send(get(query, token), 200));
      for (JsonNode payment : page.path("data")) {
        Instant createdAt = Instant.parse(payment.path("created_at").asText());
        if (createdAt.isBefore(since)) {
          return payments;
        }
        payments.add(new Listed(payment.path("id").asText(), payment.path("status").asText(),
            payment.path("provider").asText(null), payment.path("attempts").asInt(-1), createdAt));
        startingAfter = payment.path("id").asText();
      }
      if (!page.path("has_more").asBoolean(false)) {
        return payments;
      }
    }
  }

  /** How many payments the merchant has under this Idempotency-Key (0 or 1). */
  int paymentsWithKey(String token, String idempotencyKey) {
    return read(send(get("/v1/payments?idempotency_key=" + form(idempotencyKey), token), 200)).path("data").size();
  }

  private HttpRequest get(String path, String token) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT).GET();
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder.build();
  }

  private String send(HttpRequest request, int expectedStatus) {
    HttpResponse<String> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(request.method() + " " + request.uri().getPath() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    if (response.statusCode() != expectedStatus) {
      throw new IllegalStateException(request.method() + " " + request.uri().getPath() + " answered "
          + response.statusCode() + ": " + response.body());
    }
    return response.body();
  }

  private JsonNode read(String body) {
    try {
      return json.readTree(body);
    } catch (IOException e) {
      throw new IllegalStateException("not JSON: " + e.getMessage(), e);
    }
  }

  private static String form(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
