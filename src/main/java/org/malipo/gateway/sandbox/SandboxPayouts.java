package org.malipo.gateway.sandbox;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.handler.codec.http.HttpMethod;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.JsonBodies;
import org.malipo.gateway.reconciliation.MajorUnits;
import org.malipo.gateway.sandbox.SandboxMobileMoney.Callback;
import org.malipo.gateway.sandbox.SandboxMobileMoney.Reply;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sandbox money-out simulators, without HTTP (rails.md §1.8, §1.10, §2; issue 21): Daraja B2C,
 * Transaction Status and Reversal (sharing the STK simulator's access tokens), and MoMo
 * Disbursements transfer and refund (their own product credentials and tokens).
 *
 * <p>Test MSISDNs: M-Pesa {@code 254708374149} is paid, {@code 254700000011} fails with ResultCode
 * 2040 (not a registered customer: {@code recipient_invalid}), {@code 254700000012} is paid but never
 * gets a result (only Transaction Status tells); any other number is paid. MoMo {@code 256770000000}
 * is paid, {@code 256770000011} FAILED {@code PAYEE_NOT_FOUND}; any other is paid. Reversals and
 * MoMo refunds succeed.
 *
 * <p>Counts every B2C and transfer request it receives per originator reference, so tests can
 * prove a payout reached the rail at most once.
 */
final class SandboxPayouts {

  static final String MPESA_INITIATOR_NAME = "sandbox-initiator";
  static final String MPESA_SECURITY_CREDENTIAL = "c2FuZGJveC1zZWN1cml0eS1jcmVkZW50aWFs";
  static final String MOMO_DISBURSEMENT_SUBSCRIPTION_KEY = "sandbox-momo-disbursement-key";
  static final String MOMO_DISBURSEMENT_API_USER = "0b9d7f3e-5a2c-4e1b-8c6d-9f0a1b2c3d4e";
  static final String MOMO_DISBURSEMENT_API_KEY = "sandbox-momo-disbursement-api-key";

  private static final int MAX_ENTRIES = 100_000;
  private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  private static final DateTimeFormatter COMPLETED = DateTimeFormatter.ofPattern("dd.MM.yyyy HH:mm:ss");
  private static final ZoneId NAIROBI = ZoneId.of("Africa/Nairobi");

  private final SandboxMobileMoney collections;
  private final Clock clock;
  private final Duration resultDelay;
  private final JsonMapper json = JsonMapper.builder().build();
  private final Cache<String, Boolean> tokens = cache();
  // The rails' own records are shared by every in-process sandbox of the JVM, as one real rail is
  // shared by every gateway instance: a second instance's status query finds a payout the first
  // sent (tests run several instances against one database). Tokens stay per sandbox.
  private static final AtomicInteger sequence = new AtomicInteger();
  private static final Cache<String, B2c> b2c = cache();
  private static final Cache<String, Reversal> reversals = cache();
  private static final Cache<String, Transfer> transfers = cache();
  private static final Cache<String, Transfer> refunds = cache();
  private static final Cache<String, AtomicLong> received = cache();

  private final RailJournal journal;

  SandboxPayouts(SandboxMobileMoney collections, Clock clock, Duration resultDelay) {
    this(collections, clock, resultDelay, new RailJournal());
  }

  /**
   * As above, recording the money out this sandbox pays (B2C payouts, reversals, MoMo transfers)
   * in {@code journal}, the rails' statements (docs/reconciliation.md).
   */
  SandboxPayouts(SandboxMobileMoney collections, Clock clock, Duration resultDelay, RailJournal journal) {
    this.collections = collections;
    this.clock = clock;
    this.resultDelay = resultDelay;
    this.journal = journal;
  }

  private record B2c(String originatorId, String conversationId, long amountKes, String msisdn, String resultCode,
      boolean sendsResult, String receipt, Instant finalAt) {}

  private record Reversal(String refundId, String conversationId, String transactionId, long amountKes) {}

  private record Transfer(String referenceId, JsonNode request, String status, String reason, Instant finalAt) {}

  /** How many payout requests (B2C or MoMo transfer, duplicates included) named this reference. */
  long received(String reference) {
    AtomicLong count = received.getIfPresent(reference);
    return count == null ? 0 : count.get();
  }

  /** Test knob: forgets that a B2C payout was ever received, as a rail that lost it would. */
  void forgetB2c(String originatorId) {
    b2c.invalidate(originatorId);
  }

  // --- M-Pesa B2C ------------------------------------------------------------------------------

  Reply b2cPayment(String authorization, byte[] body) {
    if (!collections.bearerValid("mpesa:", authorization)) {
      return reply(404, Map.of("requestId", id(), "errorCode", "404.001.03", "errorMessage", "Invalid Access Token"));
    }
    JsonNode request = JsonBodies.object(json, body);
    if (request == null) {
      return invalid("Invalid JSON");
    }
    String originator = request.path("OriginatorConversationID").asString("");
    count(originator);
    if (!same(MPESA_INITIATOR_NAME, request.path("InitiatorName").asString(""))
        || !same(MPESA_SECURITY_CREDENTIAL, request.path("SecurityCredential").asString(""))) {
      return invalid("Invalid Initiator");
    }
    String msisdn = request.path("PartyB").asString("");
    JsonNode amount = request.path("Amount");
    String resultUrl = request.path("ResultURL").asString("");
    if (originator.isEmpty() || !msisdn.matches("254(7\\d|1\\d)\\d{7}")) {
      return invalid("Invalid PartyB");
    }
    if (!amount.isIntegralNumber() || amount.asLong() < 10 || amount.asLong() > 250_000) {
      return invalid("Invalid Amount");
    }
    if (!resultUrl.startsWith("http") || !request.path("QueueTimeOutURL").asString("").startsWith("http")) {
      return invalid("Invalid ResultURL");
    }
    String remarks = request.path("Remarks").asString("");
    if (remarks.length() < 2 || remarks.length() > 100) {
      return invalid("Invalid Remarks");
    }
    String conversationId = "AG_" + DateTimeFormatter.ofPattern("yyyyMMdd").format(clock.instant().atZone(NAIROBI)) + "_"
        + Long.toHexString(ThreadLocalRandom.current().nextLong());
    String resultCode = switch (msisdn) {
      case "254700000011" -> "2040";
      default -> "0";
    };
    B2c created = new B2c(originator, conversationId, amount.asLong(), msisdn, resultCode,
        !"254700000012".equals(msisdn), "0".equals(resultCode) ? receipt("SB") : null, clock.instant().plus(resultDelay));
    if (b2c.asMap().putIfAbsent(originator, created) != null) {
      return reply(500, Map.of("requestId", id(), "errorCode", "500.002.1001",
          "errorMessage", "Duplicate OriginatorConversationID."));
    }
    if (created.receipt() != null) {
      // Paid when its result is due (also for the payee whose result is never sent).
      journal.record(new RailJournal.Entry("mpesa", conversationId, created.receipt(), msisdn,
          Math.multiplyExact(amount.asLong(), 100L), "KES", clock.instant(), created.finalAt(), true));
    }
    Callback callback = created.sendsResult()
        ? new Callback(HttpMethod.POST, resultUrl, b2cResult(created), resultDelay) : null;
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("ConversationID", conversationId);
    answer.put("OriginatorConversationID", originator);
    answer.put("ResponseCode", "0");
    answer.put("ResponseDescription", "Accept the service request successfully.");
    return new Reply(200, json.writeValueAsBytes(answer), callback);
  }

  private byte[] b2cResult(B2c t) {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("ResultType", 0);
    // A number for success, as in the docs' sample; a failure code may be a string (SFC_IC0003).
    result.put("ResultCode", "0".equals(t.resultCode()) ? (Object) 0 : (Object) Integer.valueOf(t.resultCode()));
    result.put("ResultDesc", "0".equals(t.resultCode()) ? "The service request is processed successfully."
        : "The receiver is not a registered M-Pesa customer.");
    result.put("OriginatorConversationID", t.originatorId());
    result.put("ConversationID", t.conversationId());
    result.put("TransactionID", t.receipt() == null ? t.conversationId().substring(0, 10) : t.receipt());
    if ("0".equals(t.resultCode())) {
      List<Map<String, Object>> parameters = new ArrayList<>();
      parameters.add(Map.of("Key", "TransactionAmount", "Value", t.amountKes()));
      parameters.add(Map.of("Key", "TransactionReceipt", "Value", t.receipt()));
      parameters.add(Map.of("Key", "ReceiverPartyPublicName", "Value", t.msisdn() + " - SANDBOX CUSTOMER"));
      parameters.add(Map.of("Key", "TransactionCompletedDateTime",
          "Value", COMPLETED.format(clock.instant().atZone(NAIROBI))));
      parameters.add(Map.of("Key", "B2CUtilityAccountAvailableFunds", "Value", new BigDecimal("10000000.00")));
      parameters.add(Map.of("Key", "B2CRecipientIsRegisteredCustomer", "Value", "Y"));
      result.put("ResultParameters", Map.of("ResultParameter", parameters));
    }
    result.put("ReferenceData", Map.of("ReferenceItem", Map.of("Key", "QueueTimeoutURL", "Value", "")));
    return json.writeValueAsBytes(Map.of("Result", result));
  }

  Reply transactionStatus(String authorization, byte[] body) {
    if (!collections.bearerValid("mpesa:", authorization)) {
      return reply(404, Map.of("requestId", id(), "errorCode", "404.001.03", "errorMessage", "Invalid Access Token"));
    }
    JsonNode request = JsonBodies.object(json, body);
    if (request == null) {
      return invalid("Invalid JSON");
    }
    if (!"TransactionStatusQuery".equals(request.path("CommandID").asString(""))
        || !same(MPESA_INITIATOR_NAME, request.path("Initiator").asString(""))) {
      return invalid("Invalid CommandID or Initiator");
    }
    String resultUrl = request.path("ResultURL").asString("");
    if (!resultUrl.startsWith("http")) {
      return invalid("Invalid ResultURL");
    }
    String originator = request.path("OriginatorConversationID").asString("");
    String transactionId = request.path("TransactionID").asString("");
    B2c t = originator.isEmpty() ? null : b2c.getIfPresent(originator);
    if (t == null && !transactionId.isEmpty()) {
      t = b2c.asMap().values().stream().filter(x -> transactionId.equals(x.receipt())).findFirst().orElse(null);
    }
    String queryId = "TS-" + sequence.incrementAndGet();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("ResultType", 0);
    result.put("OriginatorConversationID", queryId);
    result.put("ConversationID", "AG_TS_" + sequence.incrementAndGet());
    result.put("TransactionID", transactionId.isEmpty() ? "TS" + sequence.get() : transactionId);
    if (t == null) {
      result.put("ResultCode", 1);
      result.put("ResultDesc", "The transaction could not be found.");
    } else {
      boolean done = !clock.instant().isBefore(t.finalAt());
      String status = !done ? "Pending" : "0".equals(t.resultCode()) ? "Completed" : "Failed";
      result.put("ResultCode", 0);
      result.put("ResultDesc", "The service request is processed successfully.");
      List<Map<String, Object>> parameters = new ArrayList<>();
      parameters.add(Map.of("Key", "ReceiptNo", "Value", t.receipt() == null ? "" : t.receipt()));
      parameters.add(Map.of("Key", "Amount", "Value", t.amountKes()));
      parameters.add(Map.of("Key", "TransactionStatus", "Value", status));
      parameters.add(Map.of("Key", "DebitPartyName", "Value", "600984 - MALIPO SANDBOX"));
      parameters.add(Map.of("Key", "CreditPartyName", "Value", t.msisdn() + " - SANDBOX CUSTOMER"));
      result.put("ResultParameters", Map.of("ResultParameter", parameters));
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("OriginatorConversationID", queryId);
    answer.put("ConversationID", result.get("ConversationID"));
    answer.put("ResponseCode", "0");
    answer.put("ResponseDescription", "Accept the service request successfully.");
    return new Reply(200, json.writeValueAsBytes(answer),
        new Callback(HttpMethod.POST, resultUrl, json.writeValueAsBytes(Map.of("Result", result)), resultDelay));
  }

  /** A reversal, keyed by {@code Occasion} (our refund id): a re-sent reversal is reported again, never repeated. */
  Reply reversal(String authorization, byte[] body) {
    if (!collections.bearerValid("mpesa:", authorization)) {
      return reply(404, Map.of("requestId", id(), "errorCode", "404.001.03", "errorMessage", "Invalid Access Token"));
    }
    JsonNode request = JsonBodies.object(json, body);
    if (request == null) {
      return invalid("Invalid JSON");
    }
    String transactionId = request.path("TransactionID").asString("");
    String resultUrl = request.path("ResultURL").asString("");
    JsonNode amount = request.path("Amount");
    if (!"TransactionReversal".equals(request.path("CommandID").asString(""))
        || !same(MPESA_INITIATOR_NAME, request.path("Initiator").asString(""))
        || transactionId.isEmpty() || !resultUrl.startsWith("http") || !amount.isIntegralNumber() || amount.asLong() < 1) {
      return invalid("Invalid reversal request");
    }
    String key = request.path("Occasion").asString("");
    String refundId = key.isEmpty() ? id() : key;
    Reversal created = new Reversal(refundId, "AG_R_" + Long.toHexString(ThreadLocalRandom.current().nextLong()),
        receipt("SR"), amount.asLong());
    Reversal earlier = reversals.asMap().putIfAbsent(refundId, created);
    Reversal reversal = earlier == null ? created : earlier;
    if (earlier == null) {
      // The money goes back to the payer when the result is due; the statement links the original receipt.
      Instant now = clock.instant();
      journal.record(new RailJournal.Entry("mpesa", transactionId, reversal.transactionId(), "Reversal",
          Math.multiplyExact(amount.asLong(), 100L), "KES", now, now.plus(resultDelay), true));
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("ResultType", 0);
    result.put("ResultCode", 0);
    result.put("ResultDesc", "The service request is processed successfully.");
    result.put("OriginatorConversationID", reversal.refundId());
    result.put("ConversationID", reversal.conversationId());
    result.put("TransactionID", reversal.transactionId());
    result.put("ResultParameters", Map.of("ResultParameter", List.of(
        Map.of("Key", "Amount", "Value", reversal.amountKes()),
        Map.of("Key", "OriginalTransactionID", "Value", transactionId))));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("OriginatorConversationID", reversal.refundId());
    answer.put("ConversationID", reversal.conversationId());
    answer.put("ResponseCode", "0");
    answer.put("ResponseDescription", "Accept the service request successfully.");
    return new Reply(200, json.writeValueAsBytes(answer),
        new Callback(HttpMethod.POST, resultUrl, json.writeValueAsBytes(Map.of("Result", result)), resultDelay));
  }

  private Reply invalid(String message) {
    return reply(400, Map.of("requestId", id(), "errorCode", "400.002.02", "errorMessage", "Bad Request - " + message));
  }

  // --- MTN MoMo Disbursements -----------------------------------------------------------------

  Reply momoToken(String authorization, String subscriptionKey) {
    String expected = "Basic " + Base64.getEncoder().encodeToString(
        (MOMO_DISBURSEMENT_API_USER + ":" + MOMO_DISBURSEMENT_API_KEY).getBytes(StandardCharsets.UTF_8));
    if (!same(MOMO_DISBURSEMENT_SUBSCRIPTION_KEY, subscriptionKey)) {
      return reply(401, Map.of("statusCode", 401, "message", "Access denied due to invalid subscription key."));
    }
    if (!same(expected, authorization)) {
      return reply(401, Map.of("error", "login_failed"));
    }
    String token = "eyJ" + Long.toHexString(ThreadLocalRandom.current().nextLong())
        + Long.toHexString(ThreadLocalRandom.current().nextLong());
    tokens.put(token, true);
    return reply(200, Map.of("access_token", token, "token_type", "access_token", "expires_in", 3600));
  }

  Reply transfer(String authorization, String subscriptionKey, String referenceId, String targetEnvironment,
      String callbackUrl, byte[] body) {
    Reply refused = momoRefusal(authorization, subscriptionKey, referenceId, targetEnvironment);
    if (refused != null) {
      return refused;
    }
    count(referenceId);
    JsonNode request = JsonBodies.object(json, body);
    if (request == null || !validAmount(request) || !"MSISDN".equals(request.path("payee").path("partyIdType").asString(""))
        || !request.path("payee").path("partyId").asString("").matches("\\d{9,15}")) {
      return reply(400, Map.of("code", "VALIDATION_ERROR", "message", "Invalid request body"));
    }
    String payee = request.path("payee").path("partyId").asString();
    boolean fails = "256770000011".equals(payee);
    Transfer created = new Transfer(referenceId, request, fails ? "FAILED" : "SUCCESSFUL",
        fails ? "PAYEE_NOT_FOUND" : null, clock.instant().plus(resultDelay));
    if (transfers.asMap().putIfAbsent(referenceId, created) != null) {
      return reply(409, Map.of("code", "RESOURCE_ALREADY_EXIST", "message", "Duplicated reference id."));
    }
    if (!fails) {
      recordTransfer(referenceId, payee, request, created.finalAt());
    }
    Callback callback = callbackUrl == null || callbackUrl.isBlank() ? null
        : new Callback(HttpMethod.PUT, callbackUrl, json.writeValueAsBytes(status(created, true, "payee")), resultDelay);
    return new Reply(202, new byte[0], callback);
  }

  /** Journals a successful MoMo transfer; an amount the currency cannot hold is left out of the statement. */
  private void recordTransfer(String referenceId, String payee, JsonNode request, Instant paidAt) {
    CurrencyUnit unit = CurrencyUnit.fromCode(request.path("currency").asString()).orElse(null);
    if (unit == null) {
      return;
    }
    try {
      journal.record(new RailJournal.Entry("mtn_momo", referenceId, "", payee,
          MajorUnits.parse(request.path("amount").asString(), unit), unit.code(), clock.instant(), paidAt, true));
    } catch (IllegalArgumentException | ArithmeticException e) {
      // e.g. "100.50" UGX: the rail takes it, its statement in whole UGX would not
    }
  }

  Reply transferStatus(String authorization, String subscriptionKey, String referenceId) {
    return statusOf(transfers, authorization, subscriptionKey, referenceId, "payee");
  }

  /** A refund of a request-to-pay: settled at once (the sandbox's refunds are instant). */
  Reply refund(String authorization, String subscriptionKey, String referenceId, String targetEnvironment,
      byte[] body) {
    Reply refused = momoRefusal(authorization, subscriptionKey, referenceId, targetEnvironment);
    if (refused != null) {
      return refused;
    }
    JsonNode request = JsonBodies.object(json, body);
    if (request == null || !validAmount(request) || request.path("referenceIdToRefund").asString("").isEmpty()) {
      return reply(400, Map.of("code", "VALIDATION_ERROR", "message", "Invalid request body"));
    }
    Transfer created = new Transfer(referenceId, request, "SUCCESSFUL", null, clock.instant());
    if (refunds.asMap().putIfAbsent(referenceId, created) != null) {
      return reply(409, Map.of("code", "RESOURCE_ALREADY_EXIST", "message", "Duplicated reference id."));
    }
    return new Reply(202, new byte[0], null);
  }

  Reply refundStatus(String authorization, String subscriptionKey, String referenceId) {
    return statusOf(refunds, authorization, subscriptionKey, referenceId, null);
  }

  private Reply statusOf(Cache<String, Transfer> store, String authorization, String subscriptionKey,
      String referenceId, String party) {
    if (!same(MOMO_DISBURSEMENT_SUBSCRIPTION_KEY, subscriptionKey) || !bearerValid(authorization)) {
      return reply(401, Map.of("statusCode", 401, "message", "Access denied due to invalid token."));
    }
    Transfer t = referenceId == null ? null : store.getIfPresent(referenceId);
    if (t == null) {
      return reply(404, Map.of("code", "RESOURCE_NOT_FOUND", "message", "Requested resource was not found."));
    }
    return reply(200, status(t, !clock.instant().isBefore(t.finalAt()), party));
  }

  private Reply momoRefusal(String authorization, String subscriptionKey, String referenceId, String targetEnvironment) {
    if (!same(MOMO_DISBURSEMENT_SUBSCRIPTION_KEY, subscriptionKey) || !bearerValid(authorization)) {
      return reply(401, Map.of("statusCode", 401, "message", "Access denied due to invalid token."));
    }
    if (referenceId == null || !referenceId.matches(UUID) || targetEnvironment == null || targetEnvironment.isBlank()) {
      return reply(400, Map.of("code", "VALIDATION_ERROR", "message", "X-Reference-Id or X-Target-Environment invalid"));
    }
    return null;
  }

  private static boolean validAmount(JsonNode request) {
    return request.path("amount").isString() && request.path("amount").asString().matches("\\d+(\\.\\d{1,2})?")
        && request.path("currency").asString("").length() == 3;
  }

  private Map<String, Object> status(Transfer t, boolean settled, String party) {
    Map<String, Object> status = new LinkedHashMap<>();
    if (settled && "SUCCESSFUL".equals(t.status())) {
      status.put("financialTransactionId", Integer.toString(100_000_000 + sequence.incrementAndGet()));
    }
    status.put("externalId", t.request().path("externalId").asString(""));
    status.put("amount", t.request().path("amount").asString(""));
    status.put("currency", t.request().path("currency").asString(""));
    if (party != null) {
      status.put(party, t.request().path(party));
    }
    status.put("payerMessage", t.request().path("payerMessage").asString(""));
    status.put("payeeNote", t.request().path("payeeNote").asString(""));
    status.put("status", settled ? t.status() : "PENDING");
    if (settled && t.reason() != null) {
      status.put("reason", t.reason());
    }
    return status;
  }

  // --- common ---------------------------------------------------------------------------------

  private boolean bearerValid(String authorization) {
    return authorization != null && authorization.startsWith("Bearer ")
        && tokens.getIfPresent(authorization.substring("Bearer ".length())) != null;
  }

  private void count(String reference) {
    if (reference != null && !reference.isEmpty()) {
      received.asMap().computeIfAbsent(reference, k -> new AtomicLong()).incrementAndGet();
    }
  }

  private static String receipt(String prefix) {
    return prefix + Integer.toString(1_000_000 + sequence.incrementAndGet(), 36).toUpperCase();
  }

  private static boolean same(String expected, String actual) {
    return actual != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
        actual.getBytes(StandardCharsets.UTF_8));
  }

  private Reply reply(int status, Map<String, ?> body) {
    return new Reply(status, json.writeValueAsBytes(body), null);
  }

  private static String id() {
    return Integer.toHexString(ThreadLocalRandom.current().nextInt()) + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt());
  }

  private static <V> Cache<String, V> cache() {
    return Caffeine.newBuilder().maximumSize(MAX_ENTRIES).expireAfterWrite(Duration.ofHours(24)).build();
  }
}
