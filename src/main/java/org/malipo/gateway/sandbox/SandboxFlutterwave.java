package org.malipo.gateway.sandbox;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.handler.codec.http.HttpMethod;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.malipo.gateway.common.JsonBodies;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sandbox Flutterwave v3 simulator's decisions, without HTTP (rails.md §5, §10): Bearer secret
 * key, {@code POST /v3/charges?type=card} (3DES-encrypted {@code client}) and
 * {@code type=mobile_money_*}, verify by id and by {@code tx_ref}, refunds, and the
 * {@code charge.completed} webhook (for successes and failures alike) with the {@code verif-hash}
 * header to the dashboard's webhook URL. Amounts in major units.
 *
 * <p>Test cards (NGN): {@code 5531886652142950} succeeds, {@code 5258585922666506} fails with
 * insufficient funds; any other valid card succeeds. Wallets: the numbers keep their
 * outcome here ({@code 2250707000001} insufficient funds; any other succeeds after the delay).
 * docs/rails/flutterwave.md.
 */
final class SandboxFlutterwave {

  static final String SECRET_KEY = "FLWSECK_TEST-sandbox-flutterwave-secret";
  static final String SECRET_HASH = "sandbox-flutterwave-verif-hash";
  static final String ENCRYPTION_KEY = "FLWSECK_TESTsandbox3des1";

  private static final int MAX_ENTRIES = 100_000;

  private final JsonMapper json = JsonMapper.builder().build();
  private final Clock clock;
  private final Duration callbackDelay;
  private final Supplier<String> webhookUrl;
  private final AtomicLong ids = new AtomicLong(285_959_875L);
  private final Cache<String, Charge> byId = Caffeine.newBuilder().maximumSize(MAX_ENTRIES)
      .expireAfterWrite(Duration.ofHours(1)).build();
  private final Cache<String, String> idByReference = Caffeine.newBuilder().maximumSize(MAX_ENTRIES)
      .expireAfterWrite(Duration.ofHours(1)).build();

  SandboxFlutterwave(Clock clock, Duration callbackDelay, Supplier<String> webhookUrl) {
    this.clock = clock;
    this.callbackDelay = callbackDelay;
    this.webhookUrl = webhookUrl;
  }

  private record Charge(long id, String txRef, BigDecimal amount, String currency, String paymentType, String status,
      String processorResponse, Instant finalAt, BigDecimal refunded) {}

  /** Where completed collections are recorded (the rail's statement, issue 23); set by {@link RegionalSimulators}. */
  private volatile RailJournal journal = new RailJournal();

  void journal(RailJournal journal) {
    this.journal = journal;
  }


  SandboxMobileMoney.Reply charge(String authorization, String type, byte[] body) {
    if (!authorized(authorization)) {
      return reply(401, Map.of("status", "error", "message", "Invalid authorization key", "data", "null"));
    }
    JsonNode request = JsonBodies.object(json, body);
    if (request != null && "card".equals(type)) {
      request = decrypt(request.path("client").asString(""));
    }
    if (request == null || !request.path("amount").isNumber() || request.path("amount").decimalValue().signum() <= 0
        || request.path("tx_ref").asString("").isEmpty() || request.path("currency").asString("").length() != 3) {
      return error(400, "Invalid charge request");
    }
    String txRef = request.path("tx_ref").asString();
    BigDecimal amount = request.path("amount").decimalValue();
    String currency = request.path("currency").asString();
    Instant now = clock.instant();
    Charge charge;
    if ("card".equals(type)) {
      if (!"NGN".equals(currency) || !request.path("card_number").asString("").matches("\\d{12,19}")) {
        return error(400, "Invalid card details");
      }
      boolean poor = "5258585922666506".equals(request.path("card_number").asString());
      charge = new Charge(ids.incrementAndGet(), txRef, amount, currency, "card", poor ? "failed" : "successful",
          poor ? "Insufficient Funds" : "Approved by Financial Institution", now, BigDecimal.ZERO);
    } else if (type != null && type.startsWith("mobile_money_")) {
      String phone = request.path("phone_number").asString("");
      if (!phone.matches("\\d{10,13}") || request.path("network").asString("").isEmpty()) {
        return error(400, "Invalid mobile money details");
      }
      boolean poor = "2250707000001".equals(phone);
      charge = new Charge(ids.incrementAndGet(), txRef, amount, currency, "mobilemoney", poor ? "failed" : "successful",
          poor ? "Insufficient funds" : "Approved", now.plus(callbackDelay), BigDecimal.ZERO);
    } else {
      return error(400, "Invalid charge type");
    }
    if (idByReference.asMap().putIfAbsent(txRef, Long.toString(charge.id())) != null) {
      return error(400, "Duplicate transaction reference");
    }
    byId.put(Long.toString(charge.id()), charge);
    if ("successful".equals(charge.status())) {
      Charge done = charge;
      org.malipo.gateway.common.CurrencyUnit.fromCode(currency).ifPresent(unit -> {
        try {
          journal.record(new RailJournal.Entry("flutterwave", Long.toString(done.id()), txRef, done.paymentType(),
              org.malipo.gateway.reconciliation.MajorUnits.parse(amount.toPlainString(), unit), unit.code(), now,
              done.finalAt()));
        } catch (IllegalArgumentException e) {
          // More decimals than the currency has: collected, no statement line.
        }
      });
    }
    boolean immediate = "card".equals(type);
    SandboxMobileMoney.Callback webhook = webhook(charge, immediate ? Duration.ZERO : callbackDelay);
    return new SandboxMobileMoney.Reply(200, json.writeValueAsBytes(Map.of("status", "success",
        "message", "Charge initiated", "data", data(charge, immediate))), webhook);
  }

  SandboxMobileMoney.Reply verify(String authorization, String id, String txRef) {
    if (!authorized(authorization)) {
      return reply(401, Map.of("status", "error", "message", "Invalid authorization key", "data", "null"));
    }
    String key = id != null ? id : txRef == null ? null : idByReference.getIfPresent(txRef);
    Charge charge = key == null ? null : byId.getIfPresent(key);
    if (charge == null) {
      return error(400, "No transaction was found for this id");
    }
    return reply(200, Map.of("status", "success", "message", "Transaction fetched successfully",
        "data", data(charge, !clock.instant().isBefore(charge.finalAt()))));
  }

  SandboxMobileMoney.Reply refund(String authorization, String id, byte[] body) {
    if (!authorized(authorization)) {
      return reply(401, Map.of("status", "error", "message", "Invalid authorization key", "data", "null"));
    }
    Charge charge = id == null ? null : byId.getIfPresent(id);
    JsonNode request = JsonBodies.object(json, body);
    if (charge == null || !"successful".equals(charge.status()) || clock.instant().isBefore(charge.finalAt())) {
      return error(400, "Transaction not found or not refundable");
    }
    BigDecimal amount = request != null && request.path("amount").isNumber() ? request.path("amount").decimalValue()
        : charge.amount().subtract(charge.refunded());
    if (amount.signum() <= 0 || amount.compareTo(charge.amount().subtract(charge.refunded())) > 0) {
      return error(400, "Refund amount exceeds the transaction amount");
    }
    byId.put(id, new Charge(charge.id(), charge.txRef(), charge.amount(), charge.currency(), charge.paymentType(),
        charge.status(), charge.processorResponse(), charge.finalAt(), charge.refunded().add(amount)));
    return reply(200, Map.of("status", "success", "message", "Transaction refund initiated",
        "data", Map.of("id", ids.incrementAndGet(), "tx_id", charge.id(), "amount_refunded", amount, "status", "completed")));
  }

  /** A real-format {@code charge.completed} event body (tests that forge or repeat one). */
  byte[] event(String id, String txRef, BigDecimal amount, String currency, String status) {
    return json.writeValueAsBytes(event(new Charge(Long.parseLong(id), txRef, amount, currency, "mobilemoney", status,
        "Approved", clock.instant(), BigDecimal.ZERO)));
  }

  private SandboxMobileMoney.Callback webhook(Charge charge, Duration delay) {
    String url = webhookUrl.get();
    return url == null ? null : new SandboxMobileMoney.Callback(HttpMethod.POST, url,
        json.writeValueAsBytes(event(charge)), delay, Map.of("verif-hash", SECRET_HASH));
  }

  private Map<String, Object> event(Charge charge) {
    return Map.of("event", "charge.completed", "data", data(charge, true),
        "event.type", "card".equals(charge.paymentType()) ? "CARD_TRANSACTION" : "MOBILEMONEY_TRANSACTION");
  }

  private static Map<String, Object> data(Charge charge, boolean settled) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("id", charge.id());
    data.put("tx_ref", charge.txRef());
    data.put("flw_ref", "FLW-MOCK-" + charge.id());
    data.put("amount", charge.amount());
    data.put("charged_amount", charge.amount());
    data.put("currency", charge.currency());
    data.put("status", settled ? charge.status() : "pending");
    data.put("processor_response", settled ? charge.processorResponse() : "Transaction in progress");
    data.put("payment_type", charge.paymentType());
    return data;
  }

  private JsonNode decrypt(String client) {
    try {
      Cipher cipher = Cipher.getInstance("DESede/ECB/PKCS5Padding");
      cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(ENCRYPTION_KEY.getBytes(StandardCharsets.UTF_8), "DESede"));
      return JsonBodies.object(json, cipher.doFinal(Base64.getDecoder().decode(client)));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean authorized(String authorization) {
    return authorization != null && MessageDigest.isEqual(("Bearer " + SECRET_KEY).getBytes(StandardCharsets.UTF_8),
        authorization.getBytes(StandardCharsets.UTF_8));
  }

  private SandboxMobileMoney.Reply error(int status, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", "error");
    body.put("message", message);
    body.put("data", null);
    return new SandboxMobileMoney.Reply(status, json.writeValueAsBytes(body), null);
  }

  private SandboxMobileMoney.Reply reply(int status, Map<String, ?> body) {
    return new SandboxMobileMoney.Reply(status, json.writeValueAsBytes(body), null);
  }
}
