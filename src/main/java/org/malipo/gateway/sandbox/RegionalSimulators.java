package org.malipo.gateway.sandbox;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;

/**
 * Issue 22's simulators as {@link SandboxServer} serves them: Airtel Money under {@code /airtel},
 * Orange Money under {@code /orange}, Paystack under {@code /paystack}, Flutterwave under
 * {@code /flutterwave}, each in its own wire format ({@code docs/rails/*.md}), with the callback
 * URLs their apps and dashboards would be configured with, and the test credentials the rails use
 * when none are configured. Thread-safe; nothing blocks.
 */
public final class RegionalSimulators {

  /** Path prefixes below the sandbox's root. */
  public static final String AIRTEL_PATH = "/airtel";
  public static final String ORANGE_PATH = "/orange";
  public static final String PAYSTACK_PATH = "/paystack";
  public static final String FLUTTERWAVE_PATH = "/flutterwave";

  /** The sandbox Airtel Money app's client id (rails use it when their own is not configured). */
  public static final String AIRTEL_CLIENT_ID = SandboxAirtel.CLIENT_ID;
  /** The sandbox Airtel Money app's client secret. */
  public static final String AIRTEL_CLIENT_SECRET = SandboxAirtel.CLIENT_SECRET;
  /** The sandbox Orange Money app's consumer key. */
  public static final String ORANGE_CLIENT_ID = SandboxOrange.CLIENT_ID;
  /** The sandbox Orange Money app's consumer secret. */
  public static final String ORANGE_CLIENT_SECRET = SandboxOrange.CLIENT_SECRET;
  /** The sandbox merchant's X-AUTH-TOKEN. */
  public static final String ORANGE_AUTH_TOKEN = SandboxOrange.AUTH_TOKEN;
  /** The sandbox merchant wallet. */
  public static final String ORANGE_CHANNEL_USER_MSISDN = SandboxOrange.CHANNEL_USER_MSISDN;
  /** The sandbox merchant wallet's PIN. */
  public static final String ORANGE_PIN = SandboxOrange.PIN;
  /** The sandbox Paystack secret key (API bearer and webhook HMAC key). */
  public static final String PAYSTACK_SECRET_KEY = SandboxPaystack.SECRET_KEY;
  /** The sandbox Flutterwave secret key. */
  public static final String FLUTTERWAVE_SECRET_KEY = SandboxFlutterwave.SECRET_KEY;
  /** The sandbox Flutterwave dashboard's webhook secret hash ({@code verif-hash}). */
  public static final String FLUTTERWAVE_SECRET_HASH = SandboxFlutterwave.SECRET_HASH;
  /** The sandbox Flutterwave 3DES encryption key. */
  public static final String FLUTTERWAVE_ENCRYPTION_KEY = SandboxFlutterwave.ENCRYPTION_KEY;

  /** The callback URLs configured on the simulated rails' apps and dashboards, by rail name. */
  private final Map<String, Supplier<String>> callbackUrls = new ConcurrentHashMap<>();
  private final SandboxAirtel airtel;
  private final SandboxOrange orange;
  private final SandboxPaystack paystack;
  private final SandboxFlutterwave flutterwave;
  private final SandboxFaults faults;

  /**
   * @param faults the operator's fault switches ({@code PUT /v1/sandbox/rails/{rail}/faults}): extra
   *     latency before every answer of the rail, and {@code fail}, which answers every charge or
   *     push with the rail's own documented refusal (not processed, nothing charged), so the next
   *     route (Flutterwave) can be seen taking over
   */
  /**
   * The four simulators record their completed collections in {@code journal} (their statements,
   * docs/reconciliation.md).
   */
  void journal(RailJournal journal) {
    airtel.journal(journal);
    orange.journal(journal);
    paystack.journal(journal);
    flutterwave.journal(journal);
  }

  RegionalSimulators(Clock clock, Duration callbackDelay, SandboxFaults faults) {
    this.faults = faults;
    this.airtel = new SandboxAirtel(clock, callbackDelay, callbackUrl("airtel"));
    this.orange = new SandboxOrange(clock, callbackDelay);
    this.paystack = new SandboxPaystack(clock, callbackDelay, callbackUrl("paystack"));
    this.flutterwave = new SandboxFlutterwave(clock, callbackDelay, callbackUrl("flutterwave"));
  }

  /**
   * Configures a simulated rail's callback URL, as an operator sets it on the rail's app or
   * dashboard (Airtel, Paystack and Flutterwave take none per request); until then they send none.
   *
   * @param railName {@code airtel}, {@code paystack} or {@code flutterwave}
   * @param url resolved at each callback: the gateway's port may be known only once it runs
   */
  public void configureCallbackUrl(String railName, Supplier<String> url) {
    callbackUrls.put(railName, url);
  }

  /** The real-format Airtel callback of a transaction (tests that forge or repeat one). */
  public byte[] airtelCallback(String transactionId, String statusCode) {
    return airtel.callback(transactionId, statusCode);
  }

  /** The real-format Orange notification of a payment (tests that forge or repeat one). */
  public byte[] orangeNotification(String payToken, String status) {
    return orange.notification(payToken, status);
  }

  /** A real-format Paystack {@code charge.success} event body (tests that forge or repeat one). */
  public byte[] paystackSuccessEvent(String reference, long amountMinor, String currency) {
    return paystack.successEvent(reference, amountMinor, currency);
  }

  /** The {@code x-paystack-signature} the sandbox's secret key gives a body. */
  public static String paystackSignature(byte[] body) {
    return SandboxPaystack.signature(body);
  }

  /** A real-format Flutterwave {@code charge.completed} event; amount in major units. */
  public byte[] flutterwaveEvent(String id, String txRef, BigDecimal amount, String currency, String status) {
    return flutterwave.event(id, txRef, amount, currency, status);
  }

  /**
   * Adds the simulators' routes.
   *
   * @param answer sends a simulator's reply and schedules its callback ({@link SandboxServer})
   */
  HttpServerRoutes register(HttpServerRoutes routes,
      BiFunction<HttpServerResponse, SandboxMobileMoney.Reply, Mono<Void>> answer) {
    return routes
        .post(AIRTEL_PATH + "/auth/oauth2/token", (req, res) -> SandboxServer.readBody(req)
            .flatMap(body -> reply(answer, "airtel", res, airtel.token(body))))
        .post(AIRTEL_PATH + "/merchant/v1/payments/", (req, res) -> SandboxServer.readBody(req)
            .flatMap(body -> charge(answer, "airtel", res, () -> airtel.push(header(req, "Authorization"), header(req, "X-Country"),
                header(req, "X-Currency"), body))))
        .get(AIRTEL_PATH + "/standard/v1/payments/{id}", (req, res) ->
            reply(answer, "airtel", res, airtel.enquiry(header(req, "Authorization"), req.param("id"))))
        .post(ORANGE_PATH + "/token", (req, res) -> SandboxServer.readBody(req)
            .then(Mono.defer(() -> reply(answer, "orange", res, orange.token(header(req, "Authorization"))))))
        .post(ORANGE_PATH + "/omcoreapis/1.0.2/mp/init", (req, res) -> SandboxServer.readBody(req)
            .then(Mono.defer(() -> charge(answer, "orange", res, () -> orange.init(header(req, "Authorization"), header(req, "X-AUTH-TOKEN"))))))
        .post(ORANGE_PATH + "/omcoreapis/1.0.2/mp/pay", (req, res) -> SandboxServer.readBody(req)
            .flatMap(body -> reply(answer, "orange", res, orange.pay(header(req, "Authorization"), header(req, "X-AUTH-TOKEN"), body))))
        .get(ORANGE_PATH + "/omcoreapis/1.0.2/mp/paymentstatus/{payToken}", (req, res) ->
            reply(answer, "orange", res, orange.status(header(req, "Authorization"), header(req, "X-AUTH-TOKEN"), req.param("payToken"))))
        .post(PAYSTACK_PATH + "/charge", (req, res) -> SandboxServer.readBody(req)
            .flatMap(body -> charge(answer, "paystack", res, () -> paystack.charge(header(req, "Authorization"), body))))
        .get(PAYSTACK_PATH + "/transaction/verify/{reference}", (req, res) ->
            reply(answer, "paystack", res, paystack.verify(header(req, "Authorization"), req.param("reference"))))
        .get(PAYSTACK_PATH + "/refund", (req, res) ->
            reply(answer, "paystack", res, paystack.listRefunds(header(req, "Authorization"), query(req, "reference"))))
        .post(PAYSTACK_PATH + "/refund", (req, res) -> SandboxServer.readBody(req)
            .flatMap(body -> reply(answer, "paystack", res, paystack.refund(header(req, "Authorization"), body))))
        .post(FLUTTERWAVE_PATH + "/v3/charges", (req, res) -> SandboxServer.readBody(req)
            .flatMap(body -> charge(answer, "flutterwave", res, () -> flutterwave.charge(header(req, "Authorization"), query(req, "type"), body))))
        .get(FLUTTERWAVE_PATH + "/v3/transactions/verify_by_reference", (req, res) ->
            reply(answer, "flutterwave", res, flutterwave.verify(header(req, "Authorization"), null, query(req, "tx_ref"))))
        .get(FLUTTERWAVE_PATH + "/v3/transactions/{id}/verify", (req, res) ->
            reply(answer, "flutterwave", res, flutterwave.verify(header(req, "Authorization"), req.param("id"), null)))
        .post(FLUTTERWAVE_PATH + "/v3/transactions/{id}/refund", (req, res) -> SandboxServer.readBody(req)
            .flatMap(body -> reply(answer, "flutterwave", res, flutterwave.refund(header(req, "Authorization"), req.param("id"), body))));
  }

  /** Answers after the rail's injected latency, if any. */
  private Mono<Void> reply(BiFunction<HttpServerResponse, SandboxMobileMoney.Reply, Mono<Void>> answer, String rail,
      HttpServerResponse res, SandboxMobileMoney.Reply reply) {
    Duration latency = faults.of(rail).extraLatency();
    return latency.isZero() ? answer.apply(res, reply) : Mono.delay(latency).then(Mono.defer(() -> answer.apply(res, reply)));
  }

  /**
   * A charge or push: with the rail's {@code fail} switch on, its documented refusal instead, and
   * the simulator never sees the request (nothing is processed, no callback).
   */
  private Mono<Void> charge(BiFunction<HttpServerResponse, SandboxMobileMoney.Reply, Mono<Void>> answer, String rail,
      HttpServerResponse res, Supplier<SandboxMobileMoney.Reply> decide) {
    return reply(answer, rail, res, faults.of(rail).fail() ? REFUSALS.get(rail) : decide.get());
  }

  /** Each rail's documented "not processed" answer (docs/rails/*.md). */
  private static final Map<String, SandboxMobileMoney.Reply> REFUSALS = Map.of(
      "airtel", refusal(403, "{\"status\":{\"code\":\"403\",\"message\":\"Forbidden\",\"result_code\":\"ESB000001\","
          + "\"response_code\":\"DP00800001026\",\"success\":false}}"),
      "orange", refusal(503, "{\"message\":\"Service unavailable\",\"data\":{}}"),
      "paystack", refusal(400, "{\"status\":false,\"message\":\"Service temporarily unavailable\"}"),
      "flutterwave", refusal(400, "{\"status\":\"error\",\"message\":\"Service temporarily unavailable\",\"data\":null}"));

  private static SandboxMobileMoney.Reply refusal(int status, String json) {
    return new SandboxMobileMoney.Reply(status, json.getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
  }

  private Supplier<String> callbackUrl(String railName) {
    return () -> {
      Supplier<String> url = callbackUrls.get(railName);
      return url == null ? null : url.get();
    };
  }

  private static String header(HttpServerRequest request, String name) {
    return request.requestHeaders().get(name);
  }

  private static String query(HttpServerRequest request, String name) {
    List<String> values = new QueryStringDecoder(request.uri()).parameters().get(name);
    return values == null || values.isEmpty() ? null : values.getFirst();
  }
}
