package org.malipo.gateway.rail.card;

import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.HttpReply;
import org.malipo.gateway.rail.AuthorizationOperation;
import org.malipo.gateway.rail.OperationOutcome;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailException;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * One card acquirer reached over its JSON authorization API ({@code docs/rails/sandbox-acquirer.md}).
 *
 * <p>Stateless apart from its {@link WebClient}. It maps answers, never retries and sets no
 * timeout of its own ({@code ResilientRail}'s time limiter does):
 *
 * <ul>
 *   <li>200 with response code {@code 00} → {@link RailOutcome.Approved};
 *   <li>200 with a decline code → {@link RailOutcome.Declined} ({@code insufficient_funds} for 51,
 *       {@code expired_card} for 54, else {@code card_declined});
 *   <li>200 with a not-processed code (91, 96, 30 …), an error answer the acquirer documents as
 *       "not processed" (its JSON error body with a listed {@code error} name, e.g. 500
 *       {@code system_malfunction}, 503 {@code service_unavailable}; any 401), or a request that
 *       never left (connection refused, no pooled connection) → error
 *       {@link RailException#notCharged}: failover is safe;
 *   <li>any other answer → {@link RailOutcome.Unknown}: 409 or 422 (the Idempotency-Key is known
 *       with another request), a 5xx or 4xx without the documented body (a proxy's 502 with an HTML
 *       page, a 503 with none, a 500 whose body is not JSON), 504, an unreadable or unlisted 200;
 *   <li>a connection reset or premature close after sending, an answer that cannot be read →
 *       error {@link RailException#mayHaveCharged}; a response timeout → that error; the decorator
 *       turns both into {@link RailOutcome.Unknown}.
 * </ul>
 *
 * <p>Unknown is never "not charged" (ADR 0003): an unknown attempt is resolved by
 * {@link #queryStatus}, never failed over.
 */
final class AcquirerRail implements RailAdapter {

  static final String AUTHORIZATIONS_PATH = "/v1/authorizations";
  static final String REFUNDS_PATH = "/v1/refunds";
  /** Completions (captures) and reversals (voids) of a held authorization, and their look-ups. */
  static final String COMPLETIONS = "completions";
  static final String REVERSALS = "reversals";
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  /** The look-up's 404 error: nothing was processed under the key, which is now fenced. */
  static final String UNKNOWN_KEY = "unknown_idempotency_key";

  private static final int MAX_QUOTED_CHARS = 40;

  private final String name;
  private final Set<CurrencyUnit> currencies;
  private final WebClient client;
  private final String bearer;
  private final JsonMapper json;

  /**
   * @param name the rail name, e.g. {@code acquirer_a}
   * @param currencies currencies it settles
   * @param client a client whose base URL is the acquirer's API root
   * @param apiKey the acquirer's Bearer key
   * @param json a mapper built by {@link #json()}
   */
  AcquirerRail(String name, Set<CurrencyUnit> currencies, WebClient client, String apiKey, JsonMapper json) {
    this.name = name;
    this.currencies = Set.copyOf(currencies);
    this.client = client;
    this.bearer = "Bearer " + apiKey;
    this.json = json;
  }

  /** The mapper for the acquirer API: snake_case, lenient on fields it does not know. */
  static JsonMapper json() {
    return JsonMapper.builder()
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public PaymentMethodType methodType() {
    return PaymentMethodType.CARD;
  }

  @Override
  public Set<CurrencyUnit> currencies() {
    return currencies;
  }

  /**
   * Posts one authorization; the attempt id is the Idempotency-Key.
   *
   * @return one outcome, or an error: {@link RailException#notCharged} (never sent, or documented
   *     "not processed"), {@link RailException#mayHaveCharged} (lost after sending) or a timeout
   */
  @Override
  public Mono<RailOutcome> authorize(RailRequest request) {
    if (!currencies.contains(request.amount().currency())) {
      return Mono.error(RailException.notCharged(name + " does not settle " + request.amount().currency()));
    }
    return Mono.fromCallable(() -> json.writeValueAsBytes(AuthorizationRequestBody.from(request)))
        .onErrorMap(JacksonException.class,
            e -> RailException.notCharged(name + ": request could not be written (" + e.getClass().getSimpleName() + ")"))
        .flatMap(body -> client.post()
            .uri(AUTHORIZATIONS_PATH)
            .header(HttpHeaders.AUTHORIZATION, bearer)
            .header(IDEMPOTENCY_KEY, request.attemptId())
            .contentType(MediaType.APPLICATION_JSON)
            .accept(MediaType.APPLICATION_JSON)
            .bodyValue(body)
            .exchangeToMono(HttpReply::read)
            .onErrorMap(error -> HttpReply.transportError(name + ": authorization", error)))
        .map(this::authorizationOutcome);
  }

  /**
   * The status query: looks the authorization up by the Idempotency-Key it was sent with
   * ({@code GET /v1/authorizations/by-idempotency-key/{attemptId}}), for an attempt whose answer
   * was lost ({@code docs/rails/sandbox-acquirer.md}, docs/adr/0042-unknown-card-attempts.md).
   *
   * @param attemptId our attempt id, which is the authorization's Idempotency-Key (card attempts
   *     have no rail reference until answered)
   * @return the stored answer read like an authorization answer ({@link RailOutcome.Approved} or
   *     {@link RailOutcome.Declined}); 404 {@code unknown_idempotency_key} (never processed under
   *     this key, and now fenced) or a
   *     stored not-processed code → {@link RailOutcome.NotAttempted}: surely not charged; anything
   *     else → {@link RailOutcome.Unknown}, asked again later. Transport errors are signalled and
   *     become unknown in {@code ResilientRail}.
   */
  @Override
  public Mono<RailOutcome> queryStatus(String attemptId) {
    return client.get()
        .uri(AUTHORIZATIONS_PATH + "/by-idempotency-key/{key}", attemptId)
        .header(HttpHeaders.AUTHORIZATION, bearer)
        .accept(MediaType.APPLICATION_JSON)
        .exchangeToMono(HttpReply::read)
        .map(reply -> statusOf(reply.status(), reply.body()));
  }

  private RailOutcome statusOf(int status, byte[] body) {
    // Only the acquirer's own "never processed" counts: a 404 from a proxy or a wrong path proves nothing.
    if (status == 404 && UNKNOWN_KEY.equals(errorName(body))) {
      return new RailOutcome.NotAttempted(name, "no authorization under this key" + summarize(body));
    }
    if (status != 200) {
      return unknown("status query answered HTTP " + status + summarize(body));
    }
    try {
      return outcomeOf(body);
    } catch (RailException notProcessed) {
      return new RailOutcome.NotAttempted(name, notProcessed.getMessage());
    }
  }

  @Override
  public boolean supportsManualCapture() {
    return true;
  }

  /**
   * Sends a completion (capture) or reversal (void) of a held authorization:
   * {@code POST /v1/authorizations/{authorization_id}/completions|reversals {amount, currency}}
   * with the operation id as Idempotency-Key ({@code docs/rails/sandbox-acquirer.md}). {@code 00}
   * → done; a declining code → refused; a not-processed code or documented error answer → not
   * attempted; anything else → unknown; lost after sending → error
   * {@link RailException#mayHaveCharged} (unknown in {@code ResilientRail}).
   */
  @Override
  public Mono<OperationOutcome> operate(AuthorizationOperation operation) {
    Map<String, Object> body = Map.of(
        "amount", operation.amount().amountMinor(),
        "currency", AuthorizationRequestBody.numericCurrency(operation.amount().currency().numericCode()));
    return client.post()
        .uri(AUTHORIZATIONS_PATH + "/{id}/{kind}", operation.authorizationReference(), pathOf(operation))
        .header(HttpHeaders.AUTHORIZATION, bearer)
        .header(IDEMPOTENCY_KEY, operation.operationId())
        .contentType(MediaType.APPLICATION_JSON)
        .accept(MediaType.APPLICATION_JSON)
        .bodyValue(json.writeValueAsBytes(body))
        .exchangeToMono(HttpReply::read)
        .onErrorMap(error -> HttpReply.transportError(name + ": " + operation.kind().wireName(), error))
        .map(reply -> operationOutcomeOf(reply, false));
  }

  /**
   * The status query of a completion or reversal whose answer was lost:
   * {@code GET /v1/completions|reversals/by-idempotency-key/{operationId}}. The stored answer is
   * read like the operation's answer; 404 {@code unknown_idempotency_key} → not attempted (never
   * processed under this key, which is now fenced, so the lost request can no longer apply).
   */
  @Override
  public Mono<OperationOutcome> queryOperation(AuthorizationOperation operation) {
    return client.get()
        .uri("/v1/{kind}/by-idempotency-key/{key}", pathOf(operation), operation.operationId())
        .header(HttpHeaders.AUTHORIZATION, bearer)
        .accept(MediaType.APPLICATION_JSON)
        .exchangeToMono(HttpReply::read)
        .map(reply -> operationOutcomeOf(reply, true));
  }

  private static String pathOf(AuthorizationOperation operation) {
    return operation.kind() == AuthorizationOperation.Kind.CAPTURE ? COMPLETIONS : REVERSALS;
  }

  private OperationOutcome operationOutcomeOf(HttpReply reply, boolean lookup) {
    int status = reply.status();
    String summary = summarize(reply.body());
    if (lookup && status == 404 && UNKNOWN_KEY.equals(errorName(reply.body()))) {
      return new OperationOutcome.NotAttempted(name, "nothing processed under this key" + summary);
    }
    if (status != 200) {
      return !lookup && ResponseCodes.notProcessedError(status, errorName(reply.body()))
          ? new OperationOutcome.NotAttempted(name, "HTTP " + status + summary)
          : new OperationOutcome.Unknown(name, "HTTP " + status + summary);
    }
    JsonNode answer;
    try {
      answer = json.readTree(reply.body());
    } catch (JacksonException e) {
      return new OperationOutcome.Unknown(name, "unreadable answer");
    }
    String code = answer.path("response_code").asString("");
    String reference = answer.path("completion_id").asString(answer.path("reversal_id").asString(null));
    return switch (ResponseCodes.disposition(code)) {
      case APPROVED -> isBlank(reference) ? new OperationOutcome.Unknown(name, "approval without an id")
          : new OperationOutcome.Done(name, reference, code);
      case DECLINED -> new OperationOutcome.Refused(name, code, "refused (code " + code + ")");
      case NOT_PROCESSED -> new OperationOutcome.NotAttempted(name, "not processed (code " + code + ")");
      case UNKNOWN -> new OperationOutcome.Unknown(name, code.isEmpty() ? "answer without response_code"
          : "unhandled response code " + clip(code));
    };
  }

  /**
   * Refunds a captured authorization: {@code POST /v1/refunds {authorization_id, amount, currency}}
   * with the refund id as Idempotency-Key. {@code 00} → refunded; another 200 code → refused
   * ({@code refund_declined}); an error answer documented as "not processed" (as for
   * authorizations) → not attempted; a request never sent → error {@link RailException#notCharged};
   * any other answer (409, 422, a 5xx without the documented body, a 200 without a response code)
   * → unknown; lost after sending → error {@link RailException#mayHaveCharged}.
   */
  @Override
  public Mono<RefundOutcome> refund(RefundRequest request) {
    Map<String, Object> body = Map.of(
        "authorization_id", request.railReference(),
        "amount", request.amount().amountMinor(),
        "currency", String.format("%03d", request.amount().currency().numericCode()));
    return client.post()
        .uri(REFUNDS_PATH)
        .header(HttpHeaders.AUTHORIZATION, bearer)
        .header(IDEMPOTENCY_KEY, request.refundId())
        .contentType(MediaType.APPLICATION_JSON)
        .accept(MediaType.APPLICATION_JSON)
        .bodyValue(json.writeValueAsBytes(body))
        .exchangeToMono(HttpReply::read)
        .onErrorMap(error -> HttpReply.transportError(name + ": refund", error))
        .map(this::refundOutcomeOf);
  }

  private RefundOutcome refundOutcomeOf(HttpReply reply) {
    int status = reply.status();
    if (status != 200) {
      String summary = summarize(reply.body());
      return ResponseCodes.notProcessedError(status, errorName(reply.body()))
          ? new RefundOutcome.NotAttempted(name, "HTTP " + status + summary)
          : new RefundOutcome.Unknown(name, "HTTP " + status + summary);
    }
    JsonNode answer;
    try {
      answer = json.readTree(reply.body());
    } catch (JacksonException e) {
      return new RefundOutcome.Unknown(name, "unreadable refund answer");
    }
    String code = answer.path("response_code").asString("");
    if (code.isEmpty()) {
      // An empty body or one without a code is no refusal: the refund may have been made.
      return new RefundOutcome.Unknown(name, "refund answer without response_code");
    }
    if ("00".equals(code)) {
      return new RefundOutcome.Refunded(name, answer.path("refund_id").asString(null));
    }
    return new RefundOutcome.Refused(name, "refund_declined", "The acquirer refused the refund (code " + clip(code) + ").");
  }

  /**
   * Maps an authorization answer: 2xx by its response code; an error answer the acquirer documents
   * as "not processed" → error {@link RailException#notCharged}; any other → unknown.
   */
  private RailOutcome authorizationOutcome(HttpReply reply) {
    int status = reply.status();
    if (status >= 200 && status < 300) {
      return outcomeOf(reply.body());
    }
    String summary = summarize(reply.body());
    if (ResponseCodes.notProcessedError(status, errorName(reply.body()))) {
      throw RailException.notCharged(name + " answered HTTP " + status + summary);
    }
    // 409/422 (this key is known), 504, or a status without the acquirer's documented body
    // (a proxy's 502 after forwarding): the acquirer may have authorized.
    return unknown("HTTP " + status + summary);
  }

  private RailOutcome outcomeOf(byte[] body) {
    AuthorizationResponseBody answer;
    try {
      answer = json.readValue(body, AuthorizationResponseBody.class);
    } catch (JacksonException e) {
      return unknown("unreadable answer (" + e.getClass().getSimpleName() + ")");
    }
    if (answer == null || answer.responseCode() == null) {
      return unknown("answer without response_code");
    }
    String responseCode = answer.responseCode();
    return switch (ResponseCodes.disposition(responseCode)) {
      case APPROVED -> isBlank(answer.authorizationId())
          ? unknown("approval without authorization_id")
          : new RailOutcome.Approved(name, answer.authorizationId(), responseCode);
      case DECLINED -> {
        String failureCode = ResponseCodes.failureCode(responseCode);
        yield new RailOutcome.Declined(name, answer.authorizationId(), responseCode, failureCode,
            ResponseCodes.customerMessage(failureCode));
      }
      case NOT_PROCESSED -> throw RailException.notCharged(name + " did not process the request (response code "
          + responseCode + ")");
      case UNKNOWN -> unknown("unhandled response code " + clip(responseCode));
    };
  }

  private String errorName(byte[] body) {
    try {
      return json.readTree(body).path("error").asString("");
    } catch (JacksonException e) {
      return "";
    }
  }

  /** A short {@code " error_name (code)"} from an error body, empty when unreadable. */
  private String summarize(byte[] body) {
    try {
      JsonNode tree = json.readTree(body);
      String error = clip(tree.path("error").asString(""));
      String code = clip(tree.path("response_code").asString(""));
      return (error.isEmpty() ? "" : " " + error) + (code.isEmpty() ? "" : " (" + code + ")");
    } catch (JacksonException e) {
      return "";
    }
  }

  /** An unknown outcome; {@code ResilientRail} logs it once, with the attempt id. */
  private RailOutcome.Unknown unknown(String reason) {
    return new RailOutcome.Unknown(name, reason);
  }

  /** At most {@value #MAX_QUOTED_CHARS} characters of a foreign string quoted in a reason. */
  private static String clip(String value) {
    return value.length() <= MAX_QUOTED_CHARS ? value : value.substring(0, MAX_QUOTED_CHARS) + "…";
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }
}
