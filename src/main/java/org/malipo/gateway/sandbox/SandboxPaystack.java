package org.malipo.gateway.sandbox;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.malipo.gateway.common.JsonBodies;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sandbox Paystack simulator's decisions, without HTTP (rails.md §4, §10): Bearer secret key,
 * {@code POST /charge} for cards and Ghana mobile money, {@code GET /transaction/verify/{ref}},
 * {@code POST /refund}, and the {@code charge.success} webhook signed with
 * {@code x-paystack-signature} (hex HMAC-SHA512 of the body under the secret key) to the
 * dashboard's webhook URL. Failures send no webhook (Paystack has no {@code charge.failed}):
 * verify reports them.
 *
 * <p>Test cards: {@code 4084084084084081} succeeds, {@code 4084080000005408} is declined
 * ({@code card_declined}); any other valid card succeeds. Test wallets (Ghana, national form):
 * {@code 0200000000} (Telecel) succeeds, {@code 0200000001} is cancelled by the customer, {@code
 * 0240000000} (MTN) succeeds; any other succeeds. docs/rails/paystack.md.
 */
final class SandboxPaystack {

  static final String SECRET_KEY = "sk_test_sandbox_paystack_secret_key";

  private static final int MAX_ENTRIES = 100_000;

  private final JsonMapper json = JsonMapper.builder().build();
  private final Clock clock;
  private final Duration callbackDelay;
  private final Supplier<String> webhookUrl;
  private final AtomicLong ids = new AtomicLong(300_000_000L);
  private final Cache<String, Charge> charges = Caffeine.newBuilder().maximumSize(MAX_ENTRIES)
      .expireAfterWrite(Duration.ofHours(1)).build();

  SandboxPaystack(Clock clock, Duration callbackDelay, Supplier<String> webhookUrl) {
    this.clock = clock;
    this.callbackDelay = callbackDelay;
    this.webhookUrl = webhookUrl;
  }

  private record Charge(long id, String reference, long amount, String currency, String channel, String status,
      String gatewayResponse, Instant finalAt, long refunded) {}

  /** Where completed collections are recorded (the rail's statement, issue 23); set by {@link RegionalSimulators}. */
  private volatile RailJournal journal = new RailJournal();

  void journal(RailJournal journal) {
    this.journal = journal;
  }


  /** Refunds by transaction reference. */
  private final Cache<String, java.util.List<Map<String, Object>>> refunds = Caffeine.newBuilder()
      .maximumSize(MAX_ENTRIES).expireAfterWrite(Duration.ofHours(1)).build();

  /** {@code GET /refund?reference=}: the refunds of one transaction. */
  SandboxMobileMoney.Reply listRefunds(String authorization, String reference) {
    if (!authorized(authorization)) {
      return reply(401, Map.of("status", false, "message", "Invalid key"));
    }
    java.util.List<Map<String, Object>> list = reference == null ? null : refunds.getIfPresent(reference);
    return reply(200, Map.of("status", true, "message", "Refunds retrieved", "data", list == null ? java.util.List.of() : list));
  }

  SandboxMobileMoney.Reply charge(String authorization, byte[] body) {
    if (!authorized(authorization)) {
      return reply(401, Map.of("status", false, "message", "Invalid key"));
    }
    JsonNode request = JsonBodies.object(json, body);
    if (request == null || !request.path("amount").canConvertToExactIntegral() || request.path("amount").asLong() <= 0
        || request.path("reference").asString("").isEmpty() || request.path("email").asString("").isEmpty()
        || !request.path("currency").asString("").matches("NGN|GHS")) {
      return reply(400, Map.of("status", false, "message", "Invalid charge request"));
    }
    String reference = request.path("reference").asString();
    long amount = request.path("amount").asLong();
    String currency = request.path("currency").asString();
    Charge charge;
    Instant now = clock.instant();
    if (request.path("card").isObject()) {
      String number = request.path("card").path("number").asString("");
      boolean declined = "4084080000005408".equals(number);
      charge = new Charge(ids.incrementAndGet(), reference, amount, currency, "card", declined ? "failed" : "success",
          declined ? "Declined" : "Approved", now, 0);
    } else if (request.path("mobile_money").isObject() && "GHS".equals(currency)) {
      String phone = request.path("mobile_money").path("phone").asString("");
      if (!phone.matches("0\\d{9}") || !request.path("mobile_money").path("provider").asString("").matches("mtn|vod|atl")) {
        return reply(400, Map.of("status", false, "message", "Invalid mobile money details"));
      }
      boolean cancelled = "0200000001".equals(phone);
      charge = new Charge(ids.incrementAndGet(), reference, amount, currency, "mobile_money",
          cancelled ? "failed" : "success", cancelled ? "Transaction declined by customer" : "Approved",
          now.plus(callbackDelay), 0);
    } else {
      return reply(400, Map.of("status", false, "message", "Invalid payment channel"));
    }
    if (charges.asMap().putIfAbsent(reference, charge) != null) {
      return reply(400, Map.of("status", false, "message", "Duplicate Transaction Reference"));
    }
    if ("success".equals(charge.status())) {
      // Paystack amounts are already in subunits (minor units).
      journal.record(new RailJournal.Entry("paystack", reference, Long.toString(charge.id()), charge.channel(), amount,
          currency, now, charge.finalAt()));
    }
    if ("card".equals(charge.channel())) {
      SandboxMobileMoney.Callback webhook = "success".equals(charge.status()) ? webhook(charge) : null;
      return new SandboxMobileMoney.Reply(200, json.writeValueAsBytes(Map.of("status", true,
          "message", "Charge attempted", "data", data(charge, true))), webhook);
    }
    Map<String, Object> pending = new LinkedHashMap<>(data(charge, false));
    pending.put("status", "pay_offline");
    pending.put("display_text", "Please complete authorization process on your mobile number");
    return new SandboxMobileMoney.Reply(200, json.writeValueAsBytes(Map.of("status", true,
        "message", "Charge attempted", "data", pending)), "success".equals(charge.status()) ? webhook(charge) : null);
  }

  SandboxMobileMoney.Reply verify(String authorization, String reference) {
    if (!authorized(authorization)) {
      return reply(401, Map.of("status", false, "message", "Invalid key"));
    }
    Charge charge = reference == null ? null : charges.getIfPresent(reference);
    if (charge == null) {
      return reply(400, Map.of("status", false, "message", "Transaction reference not found"));
    }
    return reply(200, Map.of("status", true, "message", "Verification successful",
        "data", data(charge, !clock.instant().isBefore(charge.finalAt()))));
  }

  SandboxMobileMoney.Reply refund(String authorization, byte[] body) {
    if (!authorized(authorization)) {
      return reply(401, Map.of("status", false, "message", "Invalid key"));
    }
    JsonNode request = JsonBodies.object(json, body);
    String reference = request == null ? "" : request.path("transaction").asString("");
    Charge charge = charges.getIfPresent(reference);
    if (charge == null || !"success".equals(charge.status()) || clock.instant().isBefore(charge.finalAt())) {
      return reply(400, Map.of("status", false, "message", "Transaction not found or not refundable"));
    }
    long amount = request.path("amount").canConvertToExactIntegral() ? request.path("amount").asLong()
        : charge.amount() - charge.refunded();
    if (amount <= 0 || amount > charge.amount() - charge.refunded()) {
      return reply(400, Map.of("status", false, "message", "Refund amount cannot be greater than transaction amount"));
    }
    charges.put(reference, new Charge(charge.id(), reference, charge.amount(), charge.currency(), charge.channel(),
        charge.status(), charge.gatewayResponse(), charge.finalAt(), charge.refunded() + amount));
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("id", ids.incrementAndGet());
    data.put("transaction", Map.of("id", charge.id(), "reference", reference));
    data.put("amount", amount);
    data.put("currency", charge.currency());
    data.put("status", "processed");
    data.put("merchant_note", request.path("merchant_note").asString(""));
    refunds.asMap().compute(reference, (key, list) -> {
      java.util.List<Map<String, Object>> next = list == null ? new java.util.ArrayList<>() : new java.util.ArrayList<>(list);
      next.add(data);
      return java.util.List.copyOf(next);
    });
    return reply(200, Map.of("status", true, "message", "Refund has been queued for processing", "data", data));
  }

  /** A signed {@code charge.success} webhook body for a reference (tests that forge or repeat one). */
  byte[] successEvent(String reference, long amount, String currency) {
    return json.writeValueAsBytes(event(new Charge(0, reference, amount, currency, "card", "success", "Approved",
        clock.instant(), 0)));
  }

  /** The {@code x-paystack-signature} of a body. */
  static String signature(byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA512");
      mac.init(new SecretKeySpec(SECRET_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA512"));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }

  private SandboxMobileMoney.Callback webhook(Charge charge) {
    String url = webhookUrl.get();
    if (url == null) {
      return null;
    }
    byte[] body = json.writeValueAsBytes(event(charge));
    return new SandboxMobileMoney.Callback(HttpMethod.POST, url, body, "card".equals(charge.channel())
        ? Duration.ZERO : callbackDelay, Map.of("x-paystack-signature", signature(body)));
  }

  private Map<String, Object> event(Charge charge) {
    return Map.of("event", "charge.success", "data", data(charge, true));
  }

  private Map<String, Object> data(Charge charge, boolean settled) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("id", charge.id());
    data.put("domain", "test");
    data.put("status", settled ? charge.status() : "pending");
    data.put("reference", charge.reference());
    data.put("amount", charge.amount());
    data.put("currency", charge.currency());
    data.put("channel", charge.channel());
    data.put("gateway_response", settled ? charge.gatewayResponse() : "Awaiting customer");
    data.put("paid_at", settled && "success".equals(charge.status()) ? charge.finalAt().toString() : null);
    return data;
  }

  private static boolean authorized(String authorization) {
    return authorization != null && MessageDigest.isEqual(("Bearer " + SECRET_KEY).getBytes(StandardCharsets.UTF_8),
        authorization.getBytes(StandardCharsets.UTF_8));
  }

  private SandboxMobileMoney.Reply reply(int status, Map<String, ?> body) {
    return new SandboxMobileMoney.Reply(status, json.writeValueAsBytes(body), null);
  }
}
