package org.malipo.gateway.sandbox;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.malipo.gateway.common.JsonBodies;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sandbox Orange Money merchant-payment simulator's decisions, without HTTP
 * (docs/rails/orange.md): Basic-auth OAuth token, {@code X-AUTH-TOKEN}, {@code mp/init} giving a
 * payToken, {@code mp/pay} answering {@code PENDING}, a notification to {@code notifUrl} after
 * the delay, and {@code mp/paymentstatus/{payToken}}.
 *
 * <p>Test wallets (national number): Cote d'Ivoire {@code 0707000000} succeeds, {@code
 * 0707000001} fails with an insufficient balance ({@code 60019}: {@code insufficient_funds}),
 * Senegal {@code 770000000} succeeds; any other number succeeds.
 *
 * <p>Thread-safe; payments and tokens live in bounded in-memory caches.
 */
final class SandboxOrange {

  static final String CLIENT_ID = "sandbox-orange-client-id";
  static final String CLIENT_SECRET = "sandbox-orange-client-secret";
  static final String AUTH_TOKEN = "sandbox-orange-x-auth-token";
  static final String CHANNEL_USER_MSISDN = "691301143";
  static final String PIN = "2222";

  private static final int MAX_ENTRIES = 100_000;

  private final JsonMapper json = JsonMapper.builder().build();
  private final Clock clock;
  private final Duration callbackDelay;
  private final Cache<String, Boolean> tokens = Caffeine.newBuilder().maximumSize(MAX_ENTRIES)
      .expireAfterWrite(Duration.ofHours(1)).build();
  /** payToken → payment, null request until paid. */
  private final Cache<String, Payment> payments = Caffeine.newBuilder().maximumSize(MAX_ENTRIES)
      .expireAfterWrite(Duration.ofHours(1)).build();
  private volatile RailJournal journal = new RailJournal();

  SandboxOrange(Clock clock, Duration callbackDelay) {
    this.clock = clock;
    this.callbackDelay = callbackDelay;
  }

  /** Records the payments this simulator completes in {@code journal} (the rail's statement). */
  void journal(RailJournal journal) {
    this.journal = journal;
  }

  private record Payment(String payToken, String subscriberMsisdn, String amount, String orderId, String status,
      String confirmStatus, String txnid, Instant finalAt) {}

  SandboxMobileMoney.Reply token(String authorization) {
    String expected = "Basic " + Base64.getEncoder().encodeToString(
        (CLIENT_ID + ":" + CLIENT_SECRET).getBytes(StandardCharsets.UTF_8));
    if (!same(expected, authorization)) {
      return reply(401, Map.of("error", "invalid_client", "error_description", "Client authentication failed"));
    }
    String token = randomToken();
    tokens.put(token, true);
    return reply(200, Map.of("access_token", token, "scope", "am_application_scope default", "token_type", "Bearer",
        "expires_in", 3600));
  }

  SandboxMobileMoney.Reply init(String authorization, String xAuthToken) {
    SandboxMobileMoney.Reply refused = refused(authorization, xAuthToken);
    if (refused != null) {
      return refused;
    }
    String payToken = "MP" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE).toUpperCase();
    payments.put(payToken, new Payment(payToken, null, null, null, "INITIATED", "", "", Instant.MAX));
    return reply(200, Map.of("message", "Payment request successfully initiated", "data", Map.of("payToken", payToken)));
  }

  SandboxMobileMoney.Reply pay(String authorization, String xAuthToken, byte[] body) {
    SandboxMobileMoney.Reply refused = refused(authorization, xAuthToken);
    if (refused != null) {
      return refused;
    }
    JsonNode request = JsonBodies.object(json, body);
    String payToken = request == null ? "" : request.path("payToken").asString("");
    Payment initiated = payments.getIfPresent(payToken);
    if (request == null || initiated == null || !request.path("amount").isString()
        || !request.path("amount").asString().matches("[1-9]\\d*")
        || !request.path("subscriberMsisdn").asString("").matches("\\d{8,10}")
        || !same(PIN, request.path("pin").asString(""))
        || !same(CHANNEL_USER_MSISDN, request.path("channelUserMsisdn").asString(""))
        || request.path("orderId").asString("").isEmpty()) {
      return reply(400, Map.of("message", "Bad request: invalid payment", "data", Map.of()));
    }
    if (initiated.subscriberMsisdn() != null) {
      return reply(409, Map.of("message", "payToken already used", "data", Map.of()));
    }
    String subscriber = request.path("subscriberMsisdn").asString();
    boolean poor = "0707000001".equals(subscriber);
    Payment paid = new Payment(payToken, subscriber, request.path("amount").asString(), request.path("orderId").asString(),
        poor ? "FAILED" : "SUCCESSFULL", poor ? "60019" : "200",
        "MP" + Integer.toString(ThreadLocalRandom.current().nextInt() & Integer.MAX_VALUE, 36).toUpperCase(),
        clock.instant().plus(callbackDelay));
    payments.put(payToken, paid);
    if (!poor) {
      // Orange Money's markets here are XOF and XAF (exponent 0): the amount is already in minor units.
      Instant now = clock.instant();
      journal.record(new RailJournal.Entry("orange", payToken, paid.txnid(), subscriber,
          Long.parseLong(paid.amount()), currency(subscriber), now, paid.finalAt()));
    }
    String notifUrl = request.path("notifUrl").asString("");
    SandboxMobileMoney.Callback callback = notifUrl.startsWith("http")
        ? new SandboxMobileMoney.Callback(HttpMethod.POST, notifUrl, notification(paid.payToken(), paid.status()), callbackDelay)
        : null;
    return new SandboxMobileMoney.Reply(200, json.writeValueAsBytes(Map.of("message", "Payment request successfully initiated",
        "data", data(paid, false))), callback);
  }

  SandboxMobileMoney.Reply status(String authorization, String xAuthToken, String payToken) {
    SandboxMobileMoney.Reply refused = refused(authorization, xAuthToken);
    if (refused != null) {
      return refused;
    }
    Payment payment = payToken == null ? null : payments.getIfPresent(payToken);
    if (payment == null || payment.subscriberMsisdn() == null) {
      return reply(404, Map.of("message", "Transaction not found", "data", Map.of()));
    }
    return reply(200, Map.of("message", "Transaction retrieved", "data", data(payment, !clock.instant().isBefore(payment.finalAt()))));
  }

  /** The payer's currency by the wallet's country: Cameroon's wallets (237, nine digits from 6) pay XAF. */
  private static String currency(String subscriber) {
    return subscriber.matches("6\\d{8}") ? "XAF" : "XOF";
  }

  /** The real-format notification (tests that forge or repeat one). */
  byte[] notification(String payToken, String status) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("payToken", payToken);
    body.put("status", status);
    body.put("message", "SUCCESSFULL".equals(status) ? "Payment successful" : "Payment failed");
    return json.writeValueAsBytes(body);
  }

  private static Map<String, Object> data(Payment p, boolean settled) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("payToken", p.payToken());
    data.put("txnid", settled ? p.txnid() : "");
    data.put("subscriberMsisdn", p.subscriberMsisdn());
    data.put("amount", p.amount());
    data.put("orderId", p.orderId());
    data.put("inittxnstatus", "200");
    data.put("confirmtxnstatus", settled ? p.confirmStatus() : "");
    data.put("status", settled ? p.status() : "PENDING");
    return data;
  }

  private SandboxMobileMoney.Reply refused(String authorization, String xAuthToken) {
    boolean bearer = authorization != null && authorization.startsWith("Bearer ")
        && tokens.getIfPresent(authorization.substring("Bearer ".length())) != null;
    if (!bearer) {
      return reply(401, Map.of("code", 42, "message", "Expired credentials", "description", "The access token has expired"));
    }
    if (!same(AUTH_TOKEN, xAuthToken)) {
      return reply(403, Map.of("message", "Invalid X-AUTH-TOKEN", "data", Map.of()));
    }
    return null;
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
