package org.malipo.gateway.sandbox;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.ZoneId;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.malipo.gateway.common.JsonBodies;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sandbox M-Pesa Daraja and MTN MoMo Collections simulators' decisions, without HTTP
 * (rails.md §1, §2, §10): they check credentials and request formats, answer like the real rails
 * and say which callback to send, to which URL, after which delay.
 *
 * <p>Test MSISDNs: M-Pesa {@code 254708374149} succeeds, {@code 254700000001} is cancelled (1032),
 * {@code 254700000002} has insufficient balance (1), {@code 254700000003} never gets a callback and
 * its STK query reports 1037 once the prompt expired; any other number succeeds. MoMo
 * {@code 256770000000} succeeds, {@code 256770000001} FAILED (APPROVAL_REJECTED),
 * {@code 256770000003} never gets a callback (its status turns FAILED, reason EXPIRED); any other succeeds.
 *
 * <p>Thread-safe; transactions and tokens live in bounded in-memory caches.
 */
final class SandboxMobileMoney {

  static final String MPESA_CONSUMER_KEY = "sandbox-mpesa-consumer-key";
  static final String MPESA_CONSUMER_SECRET = "sandbox-mpesa-consumer-secret";
  static final String MPESA_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";
  static final String MOMO_SUBSCRIPTION_KEY = "sandbox-momo-subscription-key";
  static final String MOMO_API_USER = "6f4b1a5e-0c1d-4e57-9a0b-3c2d1e0f9a8b";
  static final String MOMO_API_KEY = "sandbox-momo-api-key";

  private static final int MAX_ENTRIES = 100_000;
  private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");
  private static final ZoneId NAIROBI = ZoneId.of("Africa/Nairobi");

  /** M-Pesa ResultCode by payer, or {@code null}: no callback, query answers 1037. */
  private static final Map<String, Integer> MPESA_RESULTS = new LinkedHashMap<>();
  static {
    MPESA_RESULTS.put("254708374149", 0);
    MPESA_RESULTS.put("254700000001", 1032);
    MPESA_RESULTS.put("254700000002", 1);
    MPESA_RESULTS.put("254700000003", null);
  }

  /**
   * The payer who pays, but whose callback is lost and whose STK query keeps answering "being
   * processed": only the day's statement tells the gateway the money arrived (issue 23).
   */
  static final String MPESA_ANSWER_LOST = "254700000004";

  private final JsonMapper json = JsonMapper.builder().build();
  private final Clock clock;
  private final RailJournal journal;
  private final Duration callbackDelay;
  private final AtomicInteger sequence = new AtomicInteger();
  private final Cache<String, Boolean> tokens = Caffeine.newBuilder().maximumSize(MAX_ENTRIES)
      .expireAfterWrite(Duration.ofHours(1)).build();
  private final Cache<String, StkTransaction> stk = Caffeine.newBuilder().maximumSize(MAX_ENTRIES)
      .expireAfterWrite(Duration.ofHours(1)).build();
  private final Cache<String, MomoTransaction> momo = Caffeine.newBuilder().maximumSize(MAX_ENTRIES)
      .expireAfterWrite(Duration.ofHours(1)).build();

  SandboxMobileMoney(Clock clock, Duration callbackDelay) {
    this(clock, callbackDelay, new RailJournal());
  }

  /** As above, recording every completed collection in {@code journal} (the rails' statements). */
  SandboxMobileMoney(Clock clock, Duration callbackDelay, RailJournal journal) {
    this.journal = journal;
    this.clock = clock;
    this.callbackDelay = callbackDelay;
  }

  /**
   * One HTTP answer and, optionally, a callback to send later.
   *
   * @param status HTTP status
   * @param body JSON body, empty for none
   * @param callback the callback to deliver after the delay, or null
   */
  record Reply(int status, byte[] body, Callback callback) {}

  /** A callback: method, absolute URL, body and extra headers (a signature). */
  record Callback(HttpMethod method, String url, byte[] body, Duration delay, Map<String, String> headers) {

    /** A callback without extra headers. */
    Callback(HttpMethod method, String url, byte[] body, Duration delay) {
      this(method, url, body, delay, Map.of());
    }
  }

  private record StkTransaction(String checkoutRequestId, long amount, String phone, Integer resultCode,
      Instant finalAt) {}

  private record MomoTransaction(String referenceId, JsonNode request, String status, String reason,
      Instant finalAt) {}

  /** Test knob: settles an STK transaction with {@code resultCode} now (e.g. a late payment). */
  void settleStk(String checkoutRequestId, int resultCode) {
    StkTransaction t = stk.getIfPresent(checkoutRequestId);
    if (t != null) {
      stk.put(checkoutRequestId, new StkTransaction(t.checkoutRequestId(), t.amount(), t.phone(), resultCode,
          clock.instant()));
      if (resultCode == 0 && (t.resultCode() == null || t.resultCode() != 0)) {
        journal.record(new RailJournal.Entry("mpesa", checkoutRequestId, receipt(), t.phone(),
            Math.multiplyExact(t.amount(), 100L), "KES", t.finalAt().minus(callbackDelay), clock.instant()));
      }
    }
  }

  /** The real-format success callback of an STK transaction (for tests that forge or repeat one). */
  byte[] stkSuccessCallback(String checkoutRequestId, long amountKes, String phone) {
    return mpesaCallback(checkoutRequestId, 0, amountKes, phone, receipt());
  }

  /** A new M-Pesa receipt number, e.g. {@code SBX1A2B}. */
  private String receipt() {
    return "SBX" + Integer.toString(sequence.incrementAndGet(), 36).toUpperCase(java.util.Locale.ROOT);
  }

  // --- M-Pesa ---------------------------------------------------------------------------------

  Reply mpesaToken(String authorization) {
    String expected = "Basic " + Base64.getEncoder().encodeToString(
        (MPESA_CONSUMER_KEY + ":" + MPESA_CONSUMER_SECRET).getBytes(StandardCharsets.UTF_8));
    if (!same(expected, authorization)) {
      return reply(400, Map.of("requestId", id(), "errorCode", "400.008.01", "errorMessage", "Invalid Authentication passed"));
    }
    String token = randomToken();
    tokens.put("mpesa:" + token, true);
    return reply(200, Map.of("access_token", token, "expires_in", "3599"));
  }

  Reply stkPush(String authorization, byte[] body) {
    if (!bearerValid("mpesa:", authorization)) {
      return reply(404, Map.of("requestId", id(), "errorCode", "404.001.03", "errorMessage", "Invalid Access Token"));
    }
    JsonNode request = JsonBodies.object(json, body);
    if (request == null) {
      return invalid("Invalid JSON");
    }
    String shortcode = request.path("BusinessShortCode").asString("");
    String timestamp = request.path("Timestamp").asString("");
    if (!passwordValid(shortcode, timestamp, request.path("Password").asString(""))) {
      return reply(500, Map.of("requestId", id(), "errorCode", "500.001.1001", "errorMessage", "Wrong credentials"));
    }
    String phone = request.path("PhoneNumber").asString("");
    JsonNode amount = request.path("Amount");
    String callbackUrl = request.path("CallBackURL").asString("");
    if (!phone.matches("254(7\\d|1\\d)\\d{7}")) {
      return invalid("Invalid PhoneNumber");
    }
    if (!amount.isIntegralNumber() || amount.asLong() < 1 || amount.asLong() > 250_000) {
      return invalid("Invalid Amount");
    }
    if (!callbackUrl.startsWith("http")) {
      return invalid("Invalid CallBackURL");
    }
    String checkoutRequestId = "ws_CO_" + TIMESTAMP.format(clock.instant().atZone(NAIROBI)) + sequence.incrementAndGet() + phone;
    boolean answerLost = MPESA_ANSWER_LOST.equals(phone);
    Integer resultCode = answerLost ? Integer.valueOf(0)
        : MPESA_RESULTS.containsKey(phone) ? MPESA_RESULTS.get(phone) : Integer.valueOf(0);
    Instant now = clock.instant();
    // The lost-answer payer's query never becomes final: it keeps answering "being processed".
    Instant finalAt = answerLost ? Instant.MAX : now.plus(callbackDelay);
    stk.put(checkoutRequestId, new StkTransaction(checkoutRequestId, amount.asLong(), phone,
        resultCode == null ? 1037 : resultCode, finalAt));
    String receipt = resultCode != null && resultCode == 0 ? receipt() : null;
    if (receipt != null) {
      journal.record(new RailJournal.Entry("mpesa", checkoutRequestId, receipt, phone,
          Math.multiplyExact(amount.asLong(), 100L), "KES", now, now.plus(callbackDelay)));
    }
    Callback callback = resultCode == null || answerLost ? null : new Callback(HttpMethod.POST, callbackUrl,
        mpesaCallback(checkoutRequestId, resultCode, amount.asLong(), phone, receipt), callbackDelay);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("MerchantRequestID", id());
    answer.put("CheckoutRequestID", checkoutRequestId);
    answer.put("ResponseCode", "0");
    answer.put("ResponseDescription", "Success. Request accepted for processing");
    answer.put("CustomerMessage", "Success. Request accepted for processing");
    return new Reply(200, json.writeValueAsBytes(answer), callback);
  }

  Reply stkQuery(String authorization, byte[] body) {
    if (!bearerValid("mpesa:", authorization)) {
      return reply(404, Map.of("requestId", id(), "errorCode", "404.001.03", "errorMessage", "Invalid Access Token"));
    }
    JsonNode request = JsonBodies.object(json, body);
    if (request == null) {
      return invalid("Invalid JSON");
    }
    if (!passwordValid(request.path("BusinessShortCode").asString(""), request.path("Timestamp").asString(""),
        request.path("Password").asString(""))) {
      return reply(500, Map.of("requestId", id(), "errorCode", "500.001.1001", "errorMessage", "Wrong credentials"));
    }
    StkTransaction t = stk.getIfPresent(request.path("CheckoutRequestID").asString(""));
    if (t == null) {
      return invalid("Invalid CheckoutRequestID");
    }
    if (clock.instant().isBefore(t.finalAt())) {
      return reply(500, Map.of("requestId", id(), "errorCode", "500.001.1001",
          "errorMessage", "The transaction is being processed"));
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("ResponseCode", "0");
    answer.put("ResponseDescription", "The service request has been accepted successsfully");
    answer.put("MerchantRequestID", id());
    answer.put("CheckoutRequestID", t.checkoutRequestId());
    answer.put("ResultCode", Integer.toString(t.resultCode())); // a string in the query (rails.md §1.4)
    answer.put("ResultDesc", describe(t.resultCode()));
    return new Reply(200, json.writeValueAsBytes(answer), null);
  }

  private byte[] mpesaCallback(String checkoutRequestId, int resultCode, long amountKes, String phone, String receipt) {
    Map<String, Object> stkCallback = new LinkedHashMap<>();
    stkCallback.put("MerchantRequestID", id());
    stkCallback.put("CheckoutRequestID", checkoutRequestId);
    stkCallback.put("ResultCode", resultCode);
    stkCallback.put("ResultDesc", describe(resultCode));
    if (resultCode == 0) {
      stkCallback.put("CallbackMetadata", Map.of("Item", List.of(
          Map.of("Name", "Amount", "Value", new java.math.BigDecimal(amountKes).setScale(2)),
          Map.of("Name", "MpesaReceiptNumber", "Value", receipt),
          Map.of("Name", "Balance"),
          Map.of("Name", "TransactionDate", "Value", Long.parseLong(TIMESTAMP.format(clock.instant().atZone(NAIROBI)))),
          Map.of("Name", "PhoneNumber", "Value", Long.parseLong(phone)))));
    }
    return json.writeValueAsBytes(Map.of("Body", Map.of("stkCallback", stkCallback)));
  }

  private static String describe(int resultCode) {
    return switch (resultCode) {
      case 0 -> "The service request is processed successfully.";
      case 1 -> "The balance is insufficient for the transaction.";
      case 1032 -> "Request cancelled by user";
      case 1037 -> "DS timeout user cannot be reached";
      default -> "Failed";
    };
  }

  private boolean passwordValid(String shortcode, String timestamp, String password) {
    String expected = Base64.getEncoder().encodeToString(
        (shortcode + MPESA_PASSKEY + timestamp).getBytes(StandardCharsets.UTF_8));
    return timestamp.matches("\\d{14}") && same(expected, password);
  }

  private Reply invalid(String message) {
    return reply(400, Map.of("requestId", id(), "errorCode", "400.002.02", "errorMessage", "Bad Request - " + message));
  }

  // --- MTN MoMo -------------------------------------------------------------------------------

  Reply momoToken(String authorization, String subscriptionKey) {
    String expected = "Basic " + Base64.getEncoder().encodeToString(
        (MOMO_API_USER + ":" + MOMO_API_KEY).getBytes(StandardCharsets.UTF_8));
    if (!same(MOMO_SUBSCRIPTION_KEY, subscriptionKey)) {
      return reply(401, Map.of("statusCode", 401, "message", "Access denied due to invalid subscription key."));
    }
    if (!same(expected, authorization)) {
      return reply(401, Map.of("error", "login_failed"));
    }
    String token = "eyJ" + randomToken();
    tokens.put("momo:" + token, true);
    return reply(200, Map.of("access_token", token, "token_type", "access_token", "expires_in", 3600));
  }

  Reply requestToPay(String authorization, String subscriptionKey, String referenceId, String targetEnvironment,
      String callbackUrl, byte[] body) {
    if (!same(MOMO_SUBSCRIPTION_KEY, subscriptionKey) || !bearerValid("momo:", authorization)) {
      return reply(401, Map.of("statusCode", 401, "message", "Access denied due to invalid token."));
    }
    if (referenceId == null || !referenceId.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        || targetEnvironment == null || targetEnvironment.isBlank()) {
      return reply(400, Map.of("code", "VALIDATION_ERROR", "message", "X-Reference-Id or X-Target-Environment invalid"));
    }
    JsonNode request = JsonBodies.object(json, body);
    if (request == null || !request.path("amount").isString() || !request.path("amount").asString().matches("\\d+(\\.\\d{1,2})?")
        || request.path("currency").asString("").length() != 3
        || !"MSISDN".equals(request.path("payer").path("partyIdType").asString(""))
        || !request.path("payer").path("partyId").asString("").matches("\\d{9,15}")) {
      return reply(400, Map.of("code", "VALIDATION_ERROR", "message", "Invalid request body"));
    }
    if (callbackUrl != null && callbackUrl.isBlank()) {
      return reply(400, Map.of("code", "INVALID_CALLBACK_URL_HOST", "message", "Callback URL is empty"));
    }
    String payer = request.path("payer").path("partyId").asString();
    // 0001: the payer rejects. 0003: no callback and the payer never approves, so the status GET
    // ends FAILED/EXPIRED, like M-Pesa's no-callback number whose STK query reports a timeout.
    String status = switch (payer) {
      case "256770000001", "256770000003" -> "FAILED";
      default -> "SUCCESSFUL";
    };
    String reason = switch (payer) {
      case "256770000001" -> "APPROVAL_REJECTED";
      case "256770000003" -> "EXPIRED";
      default -> null;
    };
    MomoTransaction created = new MomoTransaction(referenceId, request, status, reason, clock.instant().plus(callbackDelay));
    if (momo.asMap().putIfAbsent(referenceId, created) != null) {
      return reply(409, Map.of("code", "RESOURCE_ALREADY_EXIST", "message", "Duplicated reference id."));
    }
    org.malipo.gateway.common.CurrencyUnit currency =
        org.malipo.gateway.common.CurrencyUnit.fromCode(request.path("currency").asString()).orElse(null);
    if ("SUCCESSFUL".equals(status) && currency != null) {
      try {
        journal.record(new RailJournal.Entry("mtn_momo", referenceId, Long.toString(Math.abs(referenceId.hashCode())),
            payer, org.malipo.gateway.reconciliation.MajorUnits.parse(request.path("amount").asString(), currency),
            currency.code(), clock.instant(), created.finalAt()));
      } catch (IllegalArgumentException e) {
        // An amount with more decimals than the currency has: MoMo collects it, no statement line is made.
      }
    }
    boolean noCallback = "256770000003".equals(payer) || callbackUrl == null;
    Callback callback = noCallback ? null
        : new Callback(HttpMethod.PUT, callbackUrl, json.writeValueAsBytes(momoStatus(created, true)), callbackDelay);
    return new Reply(202, new byte[0], callback);
  }

  Reply requestToPayStatus(String authorization, String subscriptionKey, String referenceId) {
    if (!same(MOMO_SUBSCRIPTION_KEY, subscriptionKey) || !bearerValid("momo:", authorization)) {
      return reply(401, Map.of("statusCode", 401, "message", "Access denied due to invalid token."));
    }
    MomoTransaction t = referenceId == null ? null : momo.getIfPresent(referenceId);
    if (t == null) {
      return reply(404, Map.of("code", "RESOURCE_NOT_FOUND", "message", "Requested resource was not found."));
    }
    return reply(200, momoStatus(t, !clock.instant().isBefore(t.finalAt())));
  }

  private static Map<String, Object> momoStatus(MomoTransaction t, boolean settled) {
    Map<String, Object> status = new LinkedHashMap<>();
    if (settled && "SUCCESSFUL".equals(t.status())) {
      status.put("financialTransactionId", Long.toString(Math.abs(t.referenceId().hashCode())));
    }
    status.put("externalId", t.request().path("externalId").asString(""));
    status.put("amount", t.request().path("amount").asString());
    status.put("currency", t.request().path("currency").asString());
    status.put("payer", Map.of("partyIdType", "MSISDN", "partyId", t.request().path("payer").path("partyId").asString()));
    status.put("payerMessage", t.request().path("payerMessage").asString(""));
    status.put("payeeNote", t.request().path("payeeNote").asString(""));
    status.put("status", settled ? t.status() : "PENDING");
    if (settled && t.reason() != null) {
      status.put("reason", t.reason());
    }
    return status;
  }

  // --- common ---------------------------------------------------------------------------------

  /** Whether {@code authorization} is a Bearer token this simulator issued under {@code prefix} ({@code mpesa:}, {@code momo:}). */
  boolean bearerValid(String prefix, String authorization) {
    return authorization != null && authorization.startsWith("Bearer ")
        && tokens.getIfPresent(prefix + authorization.substring("Bearer ".length())) != null;
  }

  private static boolean same(String expected, String actual) {
    return actual != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
        actual.getBytes(StandardCharsets.UTF_8));
  }

  private Reply reply(int status, Map<String, ?> body) {
    return new Reply(status, json.writeValueAsBytes(body), null);
  }

  /**
   * A sandbox token: unguessable enough for a simulator, from ThreadLocalRandom because
   * SecureRandom may read /dev/random on the event loop.
   */
  private static String randomToken() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
  }

  private static String id() {
    return Integer.toHexString(ThreadLocalRandom.current().nextInt()) + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
  }
}
