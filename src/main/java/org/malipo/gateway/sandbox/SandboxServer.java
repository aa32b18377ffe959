package org.malipo.gateway.sandbox;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Duration;
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

  /** The sandbox Daraja B2C initiator name (issue 21: payouts). */
  public static final String MPESA_INITIATOR_NAME = SandboxPayouts.MPESA_INITIATOR_NAME;
  /** The sandbox Daraja B2C security credential. */
  public static final String MPESA_SECURITY_CREDENTIAL = SandboxPayouts.MPESA_SECURITY_CREDENTIAL;
  /** The sandbox MoMo Disbursements subscription key. */
  public static final String MOMO_DISBURSEMENT_SUBSCRIPTION_KEY = SandboxPayouts.MOMO_DISBURSEMENT_SUBSCRIPTION_KEY;
  /** The sandbox MoMo Disbursements API user. */
  public static final String MOMO_DISBURSEMENT_API_USER = SandboxPayouts.MOMO_DISBURSEMENT_API_USER;
  /** The sandbox MoMo Disbursements API key. */
  public static final String MOMO_DISBURSEMENT_API_KEY = SandboxPayouts.MOMO_DISBURSEMENT_API_KEY;

  private static final Duration CALLBACK_TIMEOUT = Duration.ofSeconds(5);

  private final SandboxAcquirer acquirer;
  private final SandboxFaults faults = new SandboxFaults();
  private final RailJournal journal = new RailJournal();
  private final SandboxMobileMoney mobileMoney;
  private final RegionalSimulators regional;
  private final SandboxPayouts payouts;
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
    this.acquirer = new SandboxAcquirer(properties.acquirerApiKey(), properties.maxStoredAnswers(), Clock.systemUTC(),
        journal);
    this.latency = properties.acquirerLatency();
    this.apiKey = properties.acquirerApiKey();
    this.mobileMoney = new SandboxMobileMoney(Clock.systemUTC(), properties.callbackDelay(), journal);
    this.payouts = new SandboxPayouts(mobileMoney, Clock.systemUTC(), properties.callbackDelay(), journal);
    this.callbackRepeat = properties.callbackRepeat();
    this.regional = new RegionalSimulators(Clock.systemUTC(), properties.callbackDelay(), faults);
    regional.journal(journal);
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
          .route(routes -> regional.register(routes, this::answer).post("/{acquirer}/v1/authorizations", this::authorize)
              .post("/{acquirer}/v1/refunds", this::refund)
              .get("/{acquirer}/v1/authorizations/by-idempotency-key/{key}", this::lookup)
              .post("/{acquirer}/v1/authorizations/{id}/completions", (req, res) -> operate(req, res, "completions"))
              .post("/{acquirer}/v1/authorizations/{id}/reversals", (req, res) -> operate(req, res, "reversals"))
              .get("/{acquirer}/v1/completions/by-idempotency-key/{key}", (req, res) -> lookupOperation(req, res, "completions"))
              .get("/{acquirer}/v1/reversals/by-idempotency-key/{key}", (req, res) -> lookupOperation(req, res, "reversals"))
              .get("/mpesa/oauth/v1/generate", (req, res) ->
                  answer(res, mobileMoney.mpesaToken(header(req, "Authorization"))))
              .post("/mpesa/mpesa/stkpush/v1/processrequest", (req, res) -> readBody(req)
                  .map(body -> mobileMoney.stkPush(header(req, "Authorization"), body))
                  .flatMap(reply -> answer(res, reply)))
              .post("/mpesa/mpesa/stkpushquery/v1/query", (req, res) -> readBody(req)
                  .map(body -> mobileMoney.stkQuery(header(req, "Authorization"), body))
                  .flatMap(reply -> answer(res, reply)))
              // Money out (issue 21): Daraja B2C, Transaction Status, Reversal; MoMo Disbursements.
              .post("/mpesa/mpesa/b2c/v3/paymentrequest", (req, res) -> readBody(req)
                  .map(body -> payouts.b2cPayment(header(req, "Authorization"), body))
                  // Fault knob "mpesa_b2c": a slow B2C answer (tests of client hang-ups and timeouts).
                  .delayUntil(reply -> delay("mpesa_b2c"))
                  .flatMap(reply -> answer(res, reply)))
              .post("/mpesa/mpesa/transactionstatus/v1/query", (req, res) -> readBody(req)
                  .map(body -> payouts.transactionStatus(header(req, "Authorization"), body))
                  .flatMap(reply -> answer(res, reply)))
              .post("/mpesa/mpesa/reversal/v1/request", (req, res) -> readBody(req)
                  .map(body -> payouts.reversal(header(req, "Authorization"), body))
                  .flatMap(reply -> answer(res, reply)))
              .post("/mtn-momo/disbursement/token/", (req, res) -> readBody(req).then(Mono.defer(() ->
                  answer(res, payouts.momoToken(header(req, "Authorization"), header(req, "Ocp-Apim-Subscription-Key"))))))
              .post("/mtn-momo/disbursement/v1_0/transfer", (req, res) -> readBody(req)
                  .map(body -> payouts.transfer(header(req, "Authorization"), header(req, "Ocp-Apim-Subscription-Key"),
                      header(req, "X-Reference-Id"), header(req, "X-Target-Environment"), header(req, "X-Callback-Url"), body))
                  .flatMap(reply -> answer(res, reply)))
              .get("/mtn-momo/disbursement/v1_0/transfer/{ref}", (req, res) ->
                  answer(res, payouts.transferStatus(header(req, "Authorization"),
                      header(req, "Ocp-Apim-Subscription-Key"), req.param("ref"))))
              .post("/mtn-momo/disbursement/v1_0/refund", (req, res) -> readBody(req)
                  .map(body -> payouts.refund(header(req, "Authorization"), header(req, "Ocp-Apim-Subscription-Key"),
                      header(req, "X-Reference-Id"), header(req, "X-Target-Environment"), body))
                  .flatMap(reply -> answer(res, reply)))
              .get("/mtn-momo/disbursement/v1_0/refund/{ref}", (req, res) ->
                  answer(res, payouts.refundStatus(header(req, "Authorization"),
                      header(req, "Ocp-Apim-Subscription-Key"), req.param("ref"))))
              .post("/mtn-momo/collection/token/", (req, res) -> readBody(req).then(Mono.defer(() ->
                  answer(res, mobileMoney.momoToken(header(req, "Authorization"), header(req, "Ocp-Apim-Subscription-Key"))))))
              .post("/mtn-momo/collection/v1_0/requesttopay", (req, res) -> readBody(req)
                  .map(body -> mobileMoney.requestToPay(header(req, "Authorization"),
                      header(req, "Ocp-Apim-Subscription-Key"), header(req, "X-Reference-Id"),
                      header(req, "X-Target-Environment"), header(req, "X-Callback-Url"), body))
                  .flatMap(reply -> answer(res, reply)))
              .get("/mtn-momo/collection/v1_0/requesttopay/{ref}", (req, res) ->
                  answer(res, mobileMoney.requestToPayStatus(header(req, "Authorization"),
                      header(req, "Ocp-Apim-Subscription-Key"), req.param("ref")))))
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

  /**
   * Issue 22's simulators (Airtel Money, Orange Money, Paystack, Flutterwave), below
   * {@link #baseUrl()} at their {@code RegionalSimulators.*_PATH}.
   */
  public RegionalSimulators regional() {
    return regional;
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

  /**
   * How many payout requests (M-Pesa B2C by OriginatorConversationID, MoMo transfers by
   * X-Reference-Id) the sandbox received for {@code reference}, duplicates included: tests prove
   * with it that a payout reached the rail at most once.
   */
  public long payoutRequestsReceived(String reference) {
    return payouts.received(reference);
  }

  /** Test knob: the sandbox forgets B2C payout {@code originatorId}, as if it never arrived. */
  public void forgetB2cPayout(String originatorId) {
    payouts.forgetB2c(originatorId);
  }

  /** What the sandbox rails collected: the source of their statements (issue 23). */
  RailJournal journal() {
    return journal;
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

  /** A completion or reversal of a held authorization. */
  private Publisher<Void> operate(HttpServerRequest request, HttpServerResponse response, String kind) {
    return acquirerCall(request, response, (name, authorization, idempotencyKey, body) ->
        acquirer.operate(name, kind, request.param("id"), authorization, idempotencyKey, body));
  }

  /** The status query of a completion or reversal by its Idempotency-Key (no body). */
  private Publisher<Void> lookupOperation(HttpServerRequest request, HttpServerResponse response, String kind) {
    return acquirerCall(request, response, (name, authorization, idempotencyKey, body) ->
        acquirer.lookupOperation(name, kind, authorization, request.param("key")));
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

  static Mono<byte[]> readBody(HttpServerRequest request) {
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
