package org.malipo.gateway.sandbox;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import io.netty.buffer.Unpooled;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.resources.LoopResources;

/**
 * The in-process sandbox: an HTTP server on 127.0.0.1 that simulates card acquirers for local
 * runs, tests and load tests ({@code docs/rails/sandbox-acquirer.md}).
 *
 * <p>It binds once, in the constructor, and serves {@code POST /{acquirer}/v1/authorizations} for
 * any acquirer name ({@code acquirer_a}, {@code acquirer_b} …); {@link #close()} (called by Spring
 * on shutdown) stops it. It has its own event-loop threads, so it behaves like a remote acquirer
 * rather than sharing the gateway's loops. Enabled by {@code malipo.sandbox.enabled=true}.
 */
@Component
@ConditionalOnProperty(prefix = "malipo.sandbox", name = "enabled", havingValue = "true")
public final class SandboxServer implements AutoCloseable {

  /** Largest request body accepted; an authorization is a few hundred bytes. */
  static final int MAX_BODY_BYTES = 16 * 1024;

  private static final Logger log = LoggerFactory.getLogger(SandboxServer.class);
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
  /** Longer than the rail clients' pooled-connection idle time, so the client always closes first. */
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

  /** The sandbox Daraja app's consumer key (rails use it when their own is not configured). */
  public static final String MPESA_CONSUMER_KEY = SandboxMobileMoney.MPESA_CONSUMER_KEY;
  /** The sandbox Daraja app's consumer secret. */
  public static final String MPESA_CONSUMER_SECRET = SandboxMobileMoney.MPESA_CONSUMER_SECRET;
  /** The sandbox Lipa na M-Pesa passkey (shortcode 174379). */
  public static final String MPESA_PASSKEY = SandboxMobileMoney.MPESA_PASSKEY;
  /** The sandbox MoMo Collections subscription key. */
  public static final String MOMO_SUBSCRIPTION_KEY = SandboxMobileMoney.MOMO_SUBSCRIPTION_KEY;
  /** The sandbox MoMo API user. */
  public static final String MOMO_API_USER = SandboxMobileMoney.MOMO_API_USER;
  /** The sandbox MoMo API key. */
  public static final String MOMO_API_KEY = SandboxMobileMoney.MOMO_API_KEY;

  private static final Duration CALLBACK_TIMEOUT = Duration.ofSeconds(5);

  private final SandboxAcquirer acquirer;
  private final SandboxFaults faults = new SandboxFaults();
  private final SandboxMobileMoney mobileMoney;
  /** The callback URLs configured on the simulated rails' apps and dashboards, by rail name. */
  private final Map<String, Supplier<String>> railCallbackUrls = new ConcurrentHashMap<>();
  private final SandboxAirtel airtel;
  private final SandboxOrange orange;
  private final SandboxPaystack paystack;
  private final SandboxFlutterwave flutterwave;
  private final int callbackRepeat;
  private final ConnectionProvider callbackPool;
  private final HttpClient callbackClient;
  private final Duration latency;
  private final String apiKey;
  private final LoopResources loops;
  private final DisposableServer server;

  /**
   * Binds the server; this blocks the calling (start-up) thread until bound.
   *
   * @param properties port, acquirer key and latency
   * @throws RuntimeException when the port cannot be bound within 10 s
   */
  public SandboxServer(SandboxProperties properties) {
    this.acquirer = new SandboxAcquirer(properties.acquirerApiKey(), properties.maxStoredAnswers(), Clock.systemUTC());
    this.latency = properties.acquirerLatency();
    this.apiKey = properties.acquirerApiKey();
    this.mobileMoney = new SandboxMobileMoney(Clock.systemUTC(), properties.callbackDelay());
    this.callbackRepeat = properties.callbackRepeat();
    this.airtel = new SandboxAirtel(Clock.systemUTC(), properties.callbackDelay(), railCallbackUrl("airtel"));
    this.orange = new SandboxOrange(Clock.systemUTC(), properties.callbackDelay());
    this.paystack = new SandboxPaystack(Clock.systemUTC(), properties.callbackDelay(), railCallbackUrl("paystack"));
    this.flutterwave = new SandboxFlutterwave(Clock.systemUTC(), properties.callbackDelay(),
        railCallbackUrl("flutterwave"));
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    this.loops = LoopResources.create("sandbox", threads, true);
    this.callbackPool = ConnectionProvider.create("sandbox-callbacks", 50);
    this.callbackClient = HttpClient.create(callbackPool)
        .runOn(loops)
        .responseTimeout(CALLBACK_TIMEOUT);
    try {
      this.server = HttpServer.create()
          .host("127.0.0.1")
          .port(properties.port())
          .runOn(loops)
          .idleTimeout(IDLE_TIMEOUT)
          .httpRequestDecoder(spec -> spec.maxInitialLineLength(4096).maxHeaderSize(8192))
          .route(routes -> routes.post("/{acquirer}/v1/authorizations", this::authorize)
              .post("/{acquirer}/v1/refunds", this::refund)
              .get("/{acquirer}/v1/authorizations/by-idempotency-key/{key}", this::lookup)
              .get("/mpesa/oauth/v1/generate", (req, res) ->
                  answer(res, mobileMoney.mpesaToken(header(req, "Authorization"))))
              .post("/mpesa/mpesa/stkpush/v1/processrequest", (req, res) -> readBody(req)
                  .map(body -> mobileMoney.stkPush(header(req, "Authorization"), body))
                  .flatMap(reply -> answer(res, reply)))
              .post("/mpesa/mpesa/stkpushquery/v1/query", (req, res) -> readBody(req)
                  .map(body -> mobileMoney.stkQuery(header(req, "Authorization"), body))
                  .flatMap(reply -> answer(res, reply)))
              .post("/mtn-momo/collection/token/", (req, res) -> readBody(req).then(Mono.defer(() ->
                  answer(res, mobileMoney.momoToken(header(req, "Authorization"), header(req, "Ocp-Apim-Subscription-Key"))))))
              .post("/mtn-momo/collection/v1_0/requesttopay", (req, res) -> readBody(req)
                  .map(body -> mobileMoney.requestToPay(header(req, "Authorization"),
                      header(req, "Ocp-Apim-Subscription-Key"), header(req, "X-Reference-Id"),
                      header(req, "X-Target-Environment"), header(req, "X-Callback-Url"), body))
                  .flatMap(reply -> answer(res, reply)))
              .get("/mtn-momo/collection/v1_0/requesttopay/{ref}", (req, res) ->
                  answer(res, mobileMoney.requestToPayStatus(header(req, "Authorization"),
                      header(req, "Ocp-Apim-Subscription-Key"), req.param("ref"))))
              .route(req -> true, this::moreRails))
          .bindNow(BIND_TIMEOUT);
    } catch (RuntimeException e) {
      loops.dispose();
      throw e;
    }
    log.info("sandbox acquirers listening on {} (latency {})", baseUrl(), latency);
  }

  /** The root URL, e.g. {@code http://127.0.0.1:40123}; an acquirer's API is below {@code /{name}}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  /** The sandbox Airtel Money app's client id (rails use it when their own is not configured). */
  public static final String AIRTEL_CLIENT_ID = SandboxAirtel.CLIENT_ID;
  /** The sandbox Airtel Money app's client secret. */
  public static final String AIRTEL_CLIENT_SECRET = SandboxAirtel.CLIENT_SECRET;

  /** The sandbox Airtel OpenAPI host, e.g. {@code http://127.0.0.1:40123/airtel}. */
  public String airtelBaseUrl() {
    return baseUrl() + "/airtel";
  }

  /**
   * Configures a simulated rail's callback URL, as an operator sets it on the rail's app or
   * dashboard (Airtel, Paystack, Flutterwave take none per request).
   *
   * @param railName {@code airtel}, {@code paystack} or {@code flutterwave}
   * @param url resolved at each callback: the gateway's port may be known only once it runs
   */
  public void configureCallbackUrl(String railName, Supplier<String> url) {
    railCallbackUrls.put(railName, url);
  }

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

  /** The sandbox Orange API host, e.g. {@code http://127.0.0.1:40123/orange}. */
  public String orangeBaseUrl() {
    return baseUrl() + "/orange";
  }

  /** The real-format Orange notification of a payment (tests that forge or repeat one). */
  public byte[] orangeNotification(String payToken, String status) {
    return orange.notification(payToken, status);
  }

  /** The sandbox Paystack secret key (API bearer and webhook HMAC key). */
  public static final String PAYSTACK_SECRET_KEY = SandboxPaystack.SECRET_KEY;

  /** The sandbox Paystack host, e.g. {@code http://127.0.0.1:40123/paystack}. */
  public String paystackBaseUrl() {
    return baseUrl() + "/paystack";
  }

  /** A real-format {@code charge.success} event body (tests that forge or repeat one). */
  public byte[] paystackSuccessEvent(String reference, long amountMinor, String currency) {
    return paystack.successEvent(reference, amountMinor, currency);
  }

  /** The {@code x-paystack-signature} the sandbox's secret key gives a body. */
  public static String paystackSignature(byte[] body) {
    return SandboxPaystack.signature(body);
  }

  /** The sandbox Flutterwave secret key. */
  public static final String FLUTTERWAVE_SECRET_KEY = SandboxFlutterwave.SECRET_KEY;
  /** The sandbox Flutterwave dashboard's webhook secret hash ({@code verif-hash}). */
  public static final String FLUTTERWAVE_SECRET_HASH = SandboxFlutterwave.SECRET_HASH;
  /** The sandbox Flutterwave 3DES encryption key. */
  public static final String FLUTTERWAVE_ENCRYPTION_KEY = SandboxFlutterwave.ENCRYPTION_KEY;

  /** The sandbox Flutterwave host, e.g. {@code http://127.0.0.1:40123/flutterwave}. */
  public String flutterwaveBaseUrl() {
    return baseUrl() + "/flutterwave";
  }

  /** A real-format {@code charge.completed} event (tests that forge or repeat one); amount in major units. */
  public byte[] flutterwaveEvent(String id, String txRef, java.math.BigDecimal amount, String currency, String status) {
    return flutterwave.event(id, txRef, amount, currency, status);
  }

  /** The real-format Airtel callback of a transaction (tests that forge or repeat one). */
  public byte[] airtelCallback(String transactionId, String statusCode) {
    return airtel.callback(transactionId, statusCode);
  }

  private Supplier<String> railCallbackUrl(String railName) {
    return () -> {
      Supplier<String> url = railCallbackUrls.get(railName);
      return url == null ? null : url.get();
    };
  }

  /** Issue 22's simulators: Airtel Money, Orange Money, Paystack, Flutterwave. */
  private Publisher<Void> moreRails(HttpServerRequest req, HttpServerResponse res) {
    String uri = req.uri();
    int queryStart = uri.indexOf('?');
    String path = queryStart < 0 ? uri : uri.substring(0, queryStart);
    boolean post = req.method().equals(HttpMethod.POST);
    if (post && path.equals("/airtel/auth/oauth2/token")) {
      return readBody(req).flatMap(body -> answer(res, airtel.token(body)));
    }
    if (post && path.equals("/airtel/merchant/v1/payments/")) {
      return readBody(req).flatMap(body -> answer(res, airtel.push(header(req, "Authorization"),
          header(req, "X-Country"), header(req, "X-Currency"), body)));
    }
    if (req.method().equals(HttpMethod.GET) && path.startsWith("/airtel/standard/v1/payments/")) {
      return answer(res, airtel.enquiry(header(req, "Authorization"),
          path.substring("/airtel/standard/v1/payments/".length())));
    }
    if (post && path.equals("/orange/token")) {
      return readBody(req).then(Mono.defer(() -> answer(res, orange.token(header(req, "Authorization")))));
    }
    if (post && path.equals("/orange/omcoreapis/1.0.2/mp/init")) {
      return readBody(req).then(Mono.defer(() -> answer(res, orange.init(header(req, "Authorization"),
          header(req, "X-AUTH-TOKEN")))));
    }
    if (post && path.equals("/orange/omcoreapis/1.0.2/mp/pay")) {
      return readBody(req).flatMap(body -> answer(res, orange.pay(header(req, "Authorization"),
          header(req, "X-AUTH-TOKEN"), body)));
    }
    if (req.method().equals(HttpMethod.GET) && path.startsWith("/orange/omcoreapis/1.0.2/mp/paymentstatus/")) {
      return answer(res, orange.status(header(req, "Authorization"), header(req, "X-AUTH-TOKEN"),
          path.substring("/orange/omcoreapis/1.0.2/mp/paymentstatus/".length())));
    }
    if (post && path.equals("/paystack/charge")) {
      return readBody(req).flatMap(body -> answer(res, paystack.charge(header(req, "Authorization"), body)));
    }
    if (req.method().equals(HttpMethod.GET) && path.startsWith("/paystack/transaction/verify/")) {
      return answer(res, paystack.verify(header(req, "Authorization"),
          path.substring("/paystack/transaction/verify/".length())));
    }
    QueryStringDecoder paystackQuery = new QueryStringDecoder(uri);
    if (req.method().equals(HttpMethod.GET) && path.equals("/paystack/refund")) {
      return answer(res, paystack.listRefunds(header(req, "Authorization"), first(paystackQuery, "reference")));
    }
    if (post && path.equals("/paystack/refund")) {
      return readBody(req).flatMap(body -> answer(res, paystack.refund(header(req, "Authorization"), body)));
    }
    QueryStringDecoder query = new QueryStringDecoder(uri);
    if (post && path.equals("/flutterwave/v3/charges")) {
      return readBody(req).flatMap(body -> answer(res, flutterwave.charge(header(req, "Authorization"),
          first(query, "type"), body)));
    }
    String transactions = "/flutterwave/v3/transactions/";
    if (req.method().equals(HttpMethod.GET) && path.equals(transactions + "verify_by_reference")) {
      return answer(res, flutterwave.verify(header(req, "Authorization"), null, first(query, "tx_ref")));
    }
    if (req.method().equals(HttpMethod.GET) && path.startsWith(transactions) && path.endsWith("/verify")) {
      return answer(res, flutterwave.verify(header(req, "Authorization"),
          path.substring(transactions.length(), path.length() - "/verify".length()), null));
    }
    if (post && path.startsWith(transactions) && path.endsWith("/refund")) {
      String id = path.substring(transactions.length(), path.length() - "/refund".length());
      return readBody(req).flatMap(body -> answer(res, flutterwave.refund(header(req, "Authorization"), id, body)));
    }
    return res.status(HttpResponseStatus.NOT_FOUND).send();
  }

  private static String first(QueryStringDecoder query, String name) {
    java.util.List<String> values = query.parameters().get(name);
    return values == null || values.isEmpty() ? null : values.getFirst();
  }

  /** The sandbox Daraja host, e.g. {@code http://127.0.0.1:40123/mpesa}. */
  public String mpesaBaseUrl() {
    return baseUrl() + "/mpesa";
  }

  /** The sandbox MoMo host, e.g. {@code http://127.0.0.1:40123/mtn-momo}. */
  public String mtnMomoBaseUrl() {
    return baseUrl() + "/mtn-momo";
  }

  /**
   * Test and demo knob: the customer of STK transaction {@code checkoutRequestId} settles it now
   * with {@code resultCode} (0 = paid), which the STK query then reports; no callback is sent.
   */
  public void settleStk(String checkoutRequestId, int resultCode) {
    mobileMoney.settleStk(checkoutRequestId, resultCode);
  }

  /** The real-format STK success callback body for a transaction (tests that replay or forge one). */
  public byte[] stkSuccessCallback(String checkoutRequestId, long amountKes, String phoneDigits) {
    return mobileMoney.stkSuccessCallback(checkoutRequestId, amountKes, phoneDigits);
  }

  /** The operator's fault switches of the sandbox acquirers (latency, outright failure). */
  public SandboxFaults faults() {
    return faults;
  }

  /** The bound port. */
  public int port() {
    return server.port();
  }

  /** The Bearer key the sandbox acquirers accept. */
  public String acquirerApiKey() {
    return apiKey;
  }

  /** Stops the server and its threads; waits up to 5 s each. Idempotent. */
  @Override
  public void close() {
    callbackPool.dispose();
    if (!server.isDisposed()) {
      server.disposeNow(STOP_TIMEOUT);
    }
    // No quiet period: the server is already closed, so no task can arrive on these loops.
    loops.disposeLater(Duration.ZERO, STOP_TIMEOUT).block(STOP_TIMEOUT);
  }

  private Publisher<Void> authorize(HttpServerRequest request, HttpServerResponse response) {
    return acquirerCall(request, response, acquirer::authorize);
  }

  private Publisher<Void> refund(HttpServerRequest request, HttpServerResponse response) {
    return acquirerCall(request, response, acquirer::refund);
  }

  /** The status query: an authorization by its Idempotency-Key (no body). */
  private Publisher<Void> lookup(HttpServerRequest request, HttpServerResponse response) {
    return acquirerCall(request, response,
        (name, authorization, idempotencyKey, body) -> acquirer.lookup(name, authorization, request.param("key")));
  }

  /** One acquirer API call: read the body, decide, wait the configured latency (plus any injected), answer JSON. */
  private Publisher<Void> acquirerCall(HttpServerRequest request, HttpServerResponse response, AcquirerOperation operation) {
    String name = request.param("acquirer");
    String authorization = request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
    String idempotencyKey = request.requestHeaders().get("Idempotency-Key");
    return readBody(request)
        // An injected failure answers before processing (its documented "not processed" body), so nothing is charged.
        .map(body -> faults.of(name).fail() ? acquirer.unavailable()
            : operation.apply(name, authorization, idempotencyKey, body))
        .onErrorResume(BodyTooLarge.class, e -> Mono.just(acquirer.error(413, "request_too_large", "30")))
        .delayUntil(reply -> delay(name))
        .flatMap(reply -> response.status(HttpResponseStatus.valueOf(reply.status()))
            .header(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
            .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(reply.body().length))
            .sendByteArray(Mono.just(reply.body()))
            .then());
  }

  /** The configured latency plus any injected for this acquirer; none when both are zero. */
  private Mono<Long> delay(String acquirerName) {
    Duration delay = latency.plus(faults.of(acquirerName).extraLatency());
    return delay.isZero() ? Mono.empty() : Mono.delay(delay);
  }

  /** A {@link SandboxAcquirer} operation: acquirer name, Authorization, Idempotency-Key, body → reply. */
  @FunctionalInterface
  private interface AcquirerOperation {
    SandboxAcquirer.Reply apply(String acquirer, String authorization, String idempotencyKey, byte[] body);
  }

  private static String header(HttpServerRequest request, String name) {
    return request.requestHeaders().get(name);
  }

  /** Sends a simulator's answer, then schedules its callback (repeated as configured). */
  private Mono<Void> answer(HttpServerResponse response, SandboxMobileMoney.Reply reply) {
    SandboxMobileMoney.Callback callback = reply.callback();
    if (callback != null) {
      for (int i = 0; i < callbackRepeat; i++) {
        deliver(callback);
      }
    }
    HttpServerResponse head = response.status(HttpResponseStatus.valueOf(reply.status()))
        .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(reply.body().length));
    if (reply.body().length > 0) {
      head = head.header(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    }
    return head.sendByteArray(Mono.just(reply.body())).then();
  }

  /** Fire and forget, like a rail: one delivery after the delay, bounded by a timeout, never retried. */
  private void deliver(SandboxMobileMoney.Callback callback) {
    Mono.delay(callback.delay())
        .then(callbackClient
            .headers(h -> {
              h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
              callback.headers().forEach(h::set);
            })
            .request(callback.method())
            .uri(callback.url())
            .send(Mono.just(Unpooled.wrappedBuffer(callback.body())))
            .responseSingle((res, body) -> body.then(Mono.just(res.status().code()))))
        .timeout(callback.delay().plus(CALLBACK_TIMEOUT))
        .subscribe(status -> log.debug("sandbox callback {} {} answered {}", callback.method(), callback.url(), status),
            error -> log.info("sandbox callback {} {} failed: {}", callback.method(), callback.url(), error.toString()));
  }

  private static Mono<byte[]> readBody(HttpServerRequest request) {
    return request.receive()
        .asByteArray()
        .collect(ByteArrayOutputStream::new, (buffer, chunk) -> {
          if (buffer.size() + chunk.length > MAX_BODY_BYTES) {
            throw new BodyTooLarge();
          }
          buffer.writeBytes(chunk);
        })
        .map(ByteArrayOutputStream::toByteArray);
  }

  private static final class BodyTooLarge extends RuntimeException {
    BodyTooLarge() {
      super("request body over " + MAX_BODY_BYTES + " bytes", null, false, false);
    }
  }
}
