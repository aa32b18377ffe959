package org.malipo.gateway.sandbox;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.JsonBodies;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sandbox Airtel Money collections simulator's decisions, without HTTP (rails.md §3, §10):
 * JSON OAuth token, USSD push acknowledged with {@code DP00800001006}, enquiry statuses
 * {@code TIP} then {@code TS}/{@code TF}, and a callback to the app's configured URL.
 *
 * <p>Test wallets (country, msisdn without country code): KE {@code 733000000} succeeds, KE
 * {@code 733000001} fails (refused, {@code DP00800001008}: {@code customer_cancelled}), KE
 * {@code 733000003} never calls back and its enquiry reports {@code TF} timed out
 * ({@code DP00800001024}) once the prompt expired, UG {@code 750000000} succeeds; any other
 * number succeeds. docs/rails/airtel.md.
 *
 * <p>Thread-safe; transactions and tokens live in bounded in-memory caches.
 */
final class SandboxAirtel {

  static final String CLIENT_ID = "sandbox-airtel-client-id";
  static final String CLIENT_SECRET = "sandbox-airtel-client-secret";

  private static final int MAX_ENTRIES = 100_000;

  private final JsonMapper json = JsonMapper.builder().build();
  private final Clock clock;
  private final Duration callbackDelay;
  private final Supplier<String> callbackUrl;
  private final Cache<String, Boolean> tokens = Caffeine.newBuilder().maximumSize(MAX_ENTRIES)
      .expireAfterWrite(Duration.ofHours(1)).build();
  private final Cache<String, Transaction> transactions = Caffeine.newBuilder().maximumSize(MAX_ENTRIES)
      .expireAfterWrite(Duration.ofHours(1)).build();
  private volatile RailJournal journal = new RailJournal();

  /**
   * @param callbackUrl the callback URL configured on the Airtel app (the gateway's), or null
   *     while none is: then no callback is sent
   */
  SandboxAirtel(Clock clock, Duration callbackDelay, Supplier<String> callbackUrl) {
    this.clock = clock;
    this.callbackDelay = callbackDelay;
    this.callbackUrl = callbackUrl;
  }

  /** Records the collections this simulator completes in {@code journal} (the rail's statement). */
  void journal(RailJournal journal) {
    this.journal = journal;
  }

  private record Transaction(String id, String status, String responseCode, String airtelMoneyId, Instant finalAt) {}

  /** Outcome by country and msisdn: status and response code; null status = no callback, TF timed out. */
  private record Result(String status, String responseCode, boolean callback) {}

  private static Result resultFor(String country, String msisdn) {
    return switch (country + ":" + msisdn) {
      case "KE:733000001" -> new Result("TF", "DP00800001008", true);
      case "KE:733000003" -> new Result("TF", "DP00800001024", false);
      default -> new Result("TS", "DP00800001001", true);
    };
  }

  SandboxMobileMoney.Reply token(byte[] body) {
    JsonNode request = JsonBodies.object(json, body);
    if (request == null || !same(CLIENT_ID, request.path("client_id").asString(""))
        || !same(CLIENT_SECRET, request.path("client_secret").asString(""))
        || !"client_credentials".equals(request.path("grant_type").asString(""))) {
      return reply(401, Map.of("error_description", "Invalid client authentication", "error", "invalid_client"));
    }
    String token = randomToken();
    tokens.put(token, true);
    // Airtel sends expires_in as a string in practice.
    return reply(200, Map.of("access_token", token, "expires_in", "180", "token_type", "bearer"));
  }

  SandboxMobileMoney.Reply push(String authorization, String country, String currency, byte[] body) {
    if (!bearerValid(authorization)) {
      return reply(401, Map.of("status", status("401", "Unauthorized", "ESB000001", "DP00800001009", false)));
    }
    JsonNode request = JsonBodies.object(json, body);
    JsonNode transaction = request == null ? null : request.path("transaction");
    JsonNode subscriber = request == null ? null : request.path("subscriber");
    if (transaction == null || country == null || currency == null
        || !transaction.path("amount").isNumber() || transaction.path("amount").decimalValue().signum() <= 0
        || transaction.path("id").asString("").isEmpty()
        || !subscriber.path("msisdn").asString("").matches("\\d{7,10}")
        || !country.equals(transaction.path("country").asString("")) || !currency.equals(transaction.path("currency").asString(""))) {
      return reply(400, Map.of("status", status("400", "Invalid request", "ESB000008", "DP00800001004", false)));
    }
    String id = transaction.path("id").asString();
    String msisdn = subscriber.path("msisdn").asString();
    Result result = resultFor(country, msisdn);
    // The statement entry's amount is worked out before the customer's clock starts (finalAt below).
    Long amountMinor = "TS".equals(result.status()) ? minor(transaction.path("amount").decimalValue(), currency) : null;
    Instant receivedAt = clock.instant();
    Transaction created = new Transaction(id, result.status(), result.responseCode(),
        "MP" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36).toUpperCase(),
        clock.instant().plus(callbackDelay));
    if (transactions.asMap().putIfAbsent(id, created) != null) {
      // A reused transaction id is refused; the first one stands.
      return reply(200, Map.of("status", status("200", "Duplicate transaction id", "ESB000041", "DP00800001000", false)));
    }
    if (amountMinor != null) {
      // Decided now, completed when the simulated customer approves: the entry carries that time. A
      // constant-time, lock-free append: nothing slow on the push's path (RailJournal).
      journal.record(new RailJournal.Entry("airtel", id, created.airtelMoneyId(), country + msisdn, amountMinor,
          currency, receivedAt, created.finalAt()));
    }
    String url = callbackUrl == null ? null : callbackUrl.get();
    SandboxMobileMoney.Callback callback = !result.callback() || url == null ? null
        : new SandboxMobileMoney.Callback(HttpMethod.POST, url, json.writeValueAsBytes(callbackBody(created)), callbackDelay);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("data", Map.of("transaction", Map.of("id", id, "status", "SUCCESS")));
    answer.put("status", status("200", "SUCCESS", "ESB000010", "DP00800001006", true));
    return new SandboxMobileMoney.Reply(200, json.writeValueAsBytes(answer), callback);
  }

  /** Minor units of a major-unit amount, or null when the currency is unknown or the amount has too many decimals. */
  private static Long minor(java.math.BigDecimal major, String currency) {
    CurrencyUnit unit = CurrencyUnit.fromCode(currency).orElse(null);
    try {
      return unit == null ? null : major.movePointRight(unit.exponent()).longValueExact();
    } catch (ArithmeticException e) {
      return null;
    }
  }

  SandboxMobileMoney.Reply enquiry(String authorization, String id) {
    if (!bearerValid(authorization)) {
      return reply(401, Map.of("status", status("401", "Unauthorized", "ESB000001", "DP00800001009", false)));
    }
    Transaction t = id == null ? null : transactions.getIfPresent(id);
    if (t == null) {
      return reply(200, Map.of("status", status("200", "Transaction not found", "ESB000014", "DP00800001025", false)));
    }
    boolean settled = !clock.instant().isBefore(t.finalAt());
    Map<String, Object> transaction = new LinkedHashMap<>();
    transaction.put("airtel_money_id", settled && "TS".equals(t.status()) ? t.airtelMoneyId() : "");
    transaction.put("id", t.id());
    transaction.put("message", settled ? describe(t.responseCode()) : "In process");
    transaction.put("status", settled ? t.status() : "TIP");
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("data", Map.of("transaction", transaction));
    answer.put("status", status("200", "SUCCESS", "ESB000010", settled ? t.responseCode() : "DP00800001006", true));
    return reply(200, answer);
  }

  /** The real-format callback of a transaction (tests that forge or repeat one). */
  byte[] callback(String id, String statusCode) {
    Transaction t = transactions.getIfPresent(id);
    return json.writeValueAsBytes(callbackBody(new Transaction(id, statusCode, "", t == null ? "MP0" : t.airtelMoneyId(),
        clock.instant())));
  }

  private static Map<String, Object> callbackBody(Transaction t) {
    Map<String, Object> transaction = new LinkedHashMap<>();
    transaction.put("id", t.id());
    transaction.put("message", describe(t.responseCode()));
    transaction.put("status_code", t.status());
    transaction.put("airtel_money_id", t.airtelMoneyId());
    return Map.of("transaction", transaction);
  }

  private static String describe(String responseCode) {
    return switch (responseCode) {
      case "DP00800001001" -> "Transaction is successful";
      case "DP00800001008" -> "The transaction was refused";
      case "DP00800001024" -> "Transaction timed out";
      default -> "Transaction failed";
    };
  }

  private static Map<String, Object> status(String code, String message, String resultCode, String responseCode,
      boolean success) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("code", code);
    status.put("message", message);
    status.put("result_code", resultCode);
    status.put("response_code", responseCode);
    status.put("success", success);
    return status;
  }

  private boolean bearerValid(String authorization) {
    return authorization != null && authorization.startsWith("Bearer ")
        && tokens.getIfPresent(authorization.substring("Bearer ".length())) != null;
  }

  private static boolean same(String expected, String actual) {
    return actual != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
        actual.getBytes(StandardCharsets.UTF_8));
  }

  private SandboxMobileMoney.Reply reply(int status, Map<String, ?> body) {
    return new SandboxMobileMoney.Reply(status, json.writeValueAsBytes(body), null);
  }

  private static String randomToken() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
  }
}
