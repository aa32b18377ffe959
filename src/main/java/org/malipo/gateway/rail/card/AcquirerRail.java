package org.malipo.gateway.rail.card;

import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.HttpReply;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailException;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.ClientResponse;
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
 *   <li>200 with a not-processed code (91, 96, 30 …), any other 4xx, a 5xx other than 504, or a
 *       request that never left (connection refused, no pooled connection) → error
 *       {@link RailException} with {@code surelyNotCharged = true};
 *   <li>409 or 422 (the Idempotency-Key is known with another request), 504 (an intermediary gave
 *       up after forwarding), an unreadable or unlisted 200 answer → {@link RailOutcome.Unknown};
 *   <li>anything else (connection reset after sending, response timeout) → that error, which the
 *       decorator turns into {@link RailOutcome.Unknown}.
 * </ul>
 */
final class AcquirerRail implements RailAdapter {

  static final String AUTHORIZATIONS_PATH = "/v1/authorizations";
  static final String REFUNDS_PATH = "/v1/refunds";
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  /** The look-up's 404 error: nothing was processed under the key, which is now fenced. */
  static final String UNKNOWN_KEY = "unknown_idempotency_key";

  private static final byte[] NO_BODY = new byte[0];
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
   * @return one outcome, or an error: {@link RailException} (surely not charged) or a transport
   *     error after the request may have been sent
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
            .exchangeToMono(this::read))
        .onErrorMap(HttpReply::neverSent,
            error -> RailException.notCharged(name + ": request not sent (" + rootCause(error).getClass().getSimpleName() + ")", error));
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
        .exchangeToMono(response -> response.bodyToMono(byte[].class).defaultIfEmpty(NO_BODY)
            .map(body -> statusOf(response.statusCode().value(), body)));
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

  /**
   * Refunds a captured authorization: {@code POST /v1/refunds {authorization_id, amount, currency}}
   * with the refund id as Idempotency-Key. {@code 00} → refunded; another 200 code → refused
   * ({@code refund_declined}); 4xx (other than 409/422) or 5xx, or a request never sent → not
   * attempted; anything unreadable → unknown.
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
        .exchangeToMono(response -> response.bodyToMono(byte[].class).defaultIfEmpty(NO_BODY)
            .map(bytes -> refundOutcomeOf(response.statusCode().value(), bytes)))
        .onErrorMap(HttpReply::neverSent,
            error -> RailException.notCharged(name + ": refund not sent (" + rootCause(error).getClass().getSimpleName() + ")", error));
  }

  private RefundOutcome refundOutcomeOf(int status, byte[] body) {
    if (status == 409 || status == 422 || status == 504) {
      return new RefundOutcome.Unknown(name, "http_" + status);
    }
    if (status != 200) {
      return new RefundOutcome.NotAttempted(name, "http_" + status + " " + summarize(body));
    }
    try {
      JsonNode answer = json.readTree(body);
      String code = answer.path("response_code").asString("");
      if ("00".equals(code)) {
        return new RefundOutcome.Refunded(name, answer.path("refund_id").asString(null));
      }
      return new RefundOutcome.Refused(name, "refund_declined", "The acquirer refused the refund (code " + clip(code) + ").");
    } catch (JacksonException e) {
      return new RefundOutcome.Unknown(name, "unreadable refund answer");
    }
  }

  private Mono<RailOutcome> read(ClientResponse response) {
    HttpStatusCode status = response.statusCode();
    int code = status.value();
    if (status.is2xxSuccessful()) {
      return response.bodyToMono(byte[].class)
          .defaultIfEmpty(NO_BODY)
          .map(this::outcomeOf);
    }
    if (code == 409 || code == 422 || code == 504) {
      return errorSummary(response).map(summary -> unknown("HTTP " + code + summary));
    }
    if (status.is4xxClientError() || status.is5xxServerError()) {
      return errorSummary(response).flatMap(summary ->
          Mono.error(RailException.notCharged(name + " answered HTTP " + code + summary)));
    }
    return response.releaseBody().then(Mono.fromSupplier(() -> unknown("HTTP " + code)));
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

  /** A short {@code " error_name (code)"} from an error body, empty when unreadable. */
  private Mono<String> errorSummary(ClientResponse response) {
    return response.bodyToMono(byte[].class)
        .map(this::summarize)
        .onErrorReturn("")
        .defaultIfEmpty("");
  }

  private String errorName(byte[] body) {
    try {
      return json.readTree(body).path("error").asString("");
    } catch (JacksonException e) {
      return "";
    }
  }

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

  private static Throwable rootCause(Throwable error) {
    Throwable cause = error;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** At most {@value #MAX_QUOTED_CHARS} characters of a foreign string quoted in a reason. */
  private static String clip(String value) {
    return value.length() <= MAX_QUOTED_CHARS ? value : value.substring(0, MAX_QUOTED_CHARS) + "…";
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }
}
