package org.malipo.gateway.rail.mpesa;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.JsonBodies;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.CallbackUrls;
import org.malipo.gateway.rail.HttpReply;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailCallback;
import org.malipo.gateway.rail.RailException;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.RailTokenCache;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * Safaricom M-Pesa Daraja, Lipa na M-Pesa Online (STK push), in Daraja's wire format (rails.md §1).
 *
 * <ul>
 *   <li>OAuth: {@code GET /oauth/v1/generate?grant_type=client_credentials} with Basic
 *       consumer key:secret; the token is cached until 60 s before {@code expires_in} (a string or
 *       a number) and refreshed single-flight; a {@code 404.001.03} "Invalid Access Token" or a 401
 *       revokes it and the call is retried once with a new one.
 *   <li>STK push: {@code POST /mpesa/stkpush/v1/processrequest}, {@code Password} =
 *       base64(shortcode + passkey + timestamp), {@code Timestamp} {@code yyyyMMddHHmmss} in
 *       Nairobi time, whole-shilling {@code Amount}; {@code ResponseCode "0"} →
 *       {@link RailOutcome.Pending} with the {@code CheckoutRequestID}; never a success.
 *   <li>Errors Daraja documents as refusing the push before it is processed (rails.md §1.3; see
 *       {@link #PUSH_REFUSALS}), a 401, a request never sent or no access token →
 *       {@link RailException#notCharged}. Any other answer (500.003.1001 internal error, a proxy's
 *       502/503/504, a body that is not Daraja's error envelope, an unreadable 200) →
 *       {@link RailOutcome.Unknown}: the prompt may have gone out. A connection lost after sending
 *       → {@link RailException#mayHaveCharged}.
 *   <li>STK query: {@code POST /mpesa/stkpushquery/v1/query}; {@code ResultCode "0"} →
 *       approved, other codes → declined with a mapped code, HTTP 500 {@code 500.001.1001} "being
 *       processed" → pending.
 * </ul>
 */
public final class MpesaRail implements RailAdapter {

  /** The rail name in routing, metrics and the ledger. */
  public static final String NAME = "mpesa";

  static final String TOKEN_PATH = "/oauth/v1/generate?grant_type=client_credentials";
  static final String STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest";
  static final String STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query";
  static final Duration TOKEN_REFRESH_BEFORE = Duration.ofSeconds(60);
  static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");
  static final ZoneId NAIROBI = ZoneId.of("Africa/Nairobi");
  private static final String INVALID_TOKEN = "404.001.03";
  private static final String BEING_PROCESSED = "500.001.1001";

  /**
   * Daraja's error codes that refuse an STK push before it is processed, with the HTTP status each
   * comes with (rails.md §1.2-1.3, [P]): invalid field, wrong URL, invalid or expired access token
   * (after one refresh), not POST, and the API gateway's throttles ("System is busy" / "Spike Arrest
   * Violation", the TPS limit; quota violation). Not here, so unknown: {@code 500.003.1001}
   * internal server error and anything unlisted.
   */
  static final Map<String, Integer> PUSH_REFUSALS = Map.of(
      "400.002.02", 400,
      "404.001.01", 404,
      INVALID_TOKEN, 404,
      "405.001", 405,
      "500.003.02", 500,
      "500.003.03", 500);

  /**
   * {@code 500.001.1001} covers several messages (rails.md §1.3): on a push these refuse it
   * ("Merchant does not exist", "Wrong credentials", "Unable to lock subscriber, a transaction is
   * already in process…"); on a query the same code means "being processed". Only these messages,
   * in lower case, make it a refusal.
   */
  static final List<String> PUSH_REFUSAL_MESSAGES =
      List.of("merchant does not exist", "wrong credentials", "unable to lock subscriber");

  private final WebClient client;
  private final String shortcode;
  private final String passkey;
  private final CallbackUrls callbackUrls;
  private final Clock clock;
  private final RailTokenCache tokens;
  private final JsonMapper json = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE).build();

  /**
   * @param client a client whose base URL is the Daraja host
   * @param consumerKey OAuth consumer key
   * @param consumerSecret OAuth consumer secret
   * @param shortcode the paybill number
   * @param passkey the Lipa na M-Pesa passkey
   * @param callbackUrls where Daraja should post results
   */
  public MpesaRail(WebClient client, String consumerKey, String consumerSecret, String shortcode, String passkey,
      CallbackUrls callbackUrls, Clock clock) {
    this.client = client;
    this.shortcode = shortcode;
    this.passkey = passkey;
    this.callbackUrls = callbackUrls;
    this.clock = clock;
    this.tokens = new RailTokenCache(fetchToken(RailTokenCache.basicCredentials(consumerKey, consumerSecret)), TOKEN_REFRESH_BEFORE, clock);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PaymentMethodType methodType() {
    return PaymentMethodType.MOBILE_MONEY;
  }

  @Override
  public Set<CurrencyUnit> currencies() {
    return Set.of(CurrencyUnit.KES);
  }

  @Override
  public Optional<MobileMoneyOperator> operator() {
    return Optional.of(MobileMoneyOperator.MPESA);
  }

  /** STK push request body (rails.md §1.3); Jackson writes the names in UpperCamelCase. */
  record StkPush(String businessShortCode, String password, String timestamp, String transactionType, long amount,
      String partyA, String partyB, String phoneNumber, String callBackURL, String accountReference,
      String transactionDesc) {}

  /** STK query request body (rails.md §1.5). */
  record StkQuery(String businessShortCode, String password, String timestamp, String checkoutRequestID) {}

  @Override
  public Mono<RailOutcome> authorize(RailRequest request) {
    Money amount = request.amount();
    if (amount.currency() != CurrencyUnit.KES || amount.amountMinor() % 100 != 0) {
      return Mono.error(RailException.notCharged(NAME + " takes whole KES only"));
    }
    return Mono.fromCallable(() -> {
          String timestamp = TIMESTAMP.format(clock.instant().atZone(NAIROBI));
          String phone = request.payer().digits();
          return json.writeValueAsBytes(new StkPush(shortcode, password(timestamp), timestamp,
              "CustomerPayBillOnline", amount.amountMinor() / 100, phone, shortcode, phone,
              callbackUrls.callbackUrl(MobileMoneyOperator.MPESA, request.attemptId()), accountReference(request), "Payment"));
        })
        .flatMap(body -> call(STK_PUSH_PATH, body)
            .onErrorMap(error -> HttpReply.transportError(NAME + ": STK push", error)))
        .<RailOutcome>map(this::pushOutcome);
  }

  @Override
  public Mono<RailOutcome> queryStatus(String checkoutRequestId) {
    return Mono.fromCallable(() -> {
          String timestamp = TIMESTAMP.format(clock.instant().atZone(NAIROBI));
          return json.writeValueAsBytes(new StkQuery(shortcode, password(timestamp), timestamp, checkoutRequestId));
        })
        .flatMap(body -> call(STK_QUERY_PATH, body))
        .<RailOutcome>map(reply -> queryOutcome(checkoutRequestId, reply));
  }

  /** The STK query takes the CheckoutRequestID only: an attempt whose push answer was lost waits for its callback. */
  @Override
  public String statusReference(String attemptId, String railReference) {
    return railReference;
  }

  /**
   * Reads a {@code Body.stkCallback} (rails.md §1.4): {@code ResultCode} 0 with
   * {@code CallbackMetadata} items (parsed by name) is a success, anything else a failure.
   */
  @Override
  public RailCallback readCallback(byte[] body, String referenceHint) {
    return readStkCallback(json, NAME, body, referenceHint);
  }

  /**
   * Reads a {@code Body.stkCallback} (rails.md §1.4) as rail {@code railName}: {@code ResultCode} 0
   * with {@code CallbackMetadata} items (parsed by name; {@code Amount} in whole KES) is a success,
   * anything else a failure with our code ({@link #declined}). Pure CPU, no I/O; also the reader of
   * test rails that speak M-Pesa's callback format.
   *
   * @param referenceHint our attempt id from the callback URL, or null
   * @throws IllegalArgumentException when the body is not an {@code stkCallback}
   */
  public static RailCallback readStkCallback(JsonMapper json, String railName, byte[] body, String referenceHint) {
    JsonNode callback;
    try {
      callback = json.readTree(body).path("Body").path("stkCallback");
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not JSON");
    }
    String checkoutRequestId = callback.path("CheckoutRequestID").asString("");
    JsonNode resultCode = callback.path("ResultCode");
    if (checkoutRequestId.isEmpty() || !resultCode.isNumber()) {
      throw new IllegalArgumentException("not an stkCallback: CheckoutRequestID or numeric ResultCode missing");
    }
    int code = resultCode.asInt();
    if (code != 0) {
      return new RailCallback(checkoutRequestId, referenceHint, declined(railName, checkoutRequestId,
          Integer.toString(code), callback.path("ResultDesc").asString("")), null, null);
    }
    Money amount = null;
    String phone = null;
    String receipt = null;
    for (JsonNode item : callback.path("CallbackMetadata").path("Item")) {
      JsonNode value = item.path("Value");
      switch (item.path("Name").asString("")) {
        case "Amount" -> amount = value.isNumber()
            ? new Money(value.decimalValue().movePointRight(2).longValueExact(), CurrencyUnit.KES) : null;
        case "PhoneNumber" -> phone = value.isMissingNode() || value.isNull() ? null : "+" + value.asString();
        case "MpesaReceiptNumber" -> receipt = value.asString(null);
        default -> { }
      }
    }
    return new RailCallback(checkoutRequestId, referenceHint,
        new RailOutcome.Approved(railName, checkoutRequestId, receipt == null ? "0" : receipt), amount, phone);
  }

  /** One authenticated Daraja POST with the app's one cached token (shared with {@link MpesaB2cRail}). */
  Mono<HttpReply> call(String path, byte[] body) {
    return tokens.withToken(NAME, this::tokenRefused, bearer -> client.post().uri(path)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
        .contentType(MediaType.APPLICATION_JSON)
        .accept(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchangeToMono(HttpReply::read));
  }

  /** One call with the cached token; a refused token is revoked and the call retried once. */

  private Mono<RailTokenCache.Token> fetchToken(String basic) {
    return Mono.defer(() -> client.get().uri(TOKEN_PATH)
        .header(HttpHeaders.AUTHORIZATION, basic)
        .accept(MediaType.APPLICATION_JSON)
        .exchangeToMono(HttpReply::read))
        .map(reply -> {
          JsonNode answer = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
          String token = answer == null ? "" : answer.path("access_token").asString("");
          // Daraja documents a number but sends a string ("3599"): accept both (rails.md §1.2).
          long expiresInSeconds = answer == null ? 0 : parseLong(answer.path("expires_in").asString("0"));
          if (token.isEmpty() || expiresInSeconds <= 0) {
            throw RailException.notCharged(NAME + ": token request answered HTTP " + reply.status());
          }
          return new RailTokenCache.Token(token, clock.instant().plusSeconds(expiresInSeconds));
        });
  }

  private boolean tokenRefused(HttpReply reply) {
    if (reply.status() == 401) {
      return true;
    }
    return reply.status() == 404 && INVALID_TOKEN.equals(errorCode(reply));
  }

  private RailOutcome pushOutcome(HttpReply reply) {
    int status = reply.status();
    if (status == 200) {
      JsonNode answer = JsonBodies.object(json, reply.body());
      if (answer == null) {
        return new RailOutcome.Unknown(NAME, "unreadable STK push answer");
      }
      String checkoutRequestId = answer.path("CheckoutRequestID").asString("");
      String responseCode = answer.path("ResponseCode").asString("");
      if ("0".equals(responseCode) && !checkoutRequestId.isEmpty()) {
        return new RailOutcome.Pending(NAME, checkoutRequestId);
      }
      if (checkoutRequestId.isEmpty()) {
        return new RailOutcome.Unknown(NAME, "STK push answer without CheckoutRequestID");
      }
      return declined(NAME, checkoutRequestId, responseCode, answer.path("ResponseDescription").asString(""));
    }
    if (pushRefused(reply)) {
      // A refused STK push created no CheckoutRequestID: nothing can complete later.
      throw RailException.notCharged(NAME + " answered HTTP " + status + " " + HttpReply.clip(errorCode(reply), 40));
    }
    // Not a refusal Daraja documents: the prompt may have gone out (a proxy's 502 after forwarding).
    return new RailOutcome.Unknown(NAME, "HTTP " + status + " " + HttpReply.clip(errorCode(reply), 40));
  }

  /** Whether an STK push error answer is one Daraja documents as refusing it before processing. */
  private boolean pushRefused(HttpReply reply) {
    if (reply.status() == 401) {
      return true; // an authentication failure: nothing is processed for an unauthenticated caller
    }
    String code = errorCode(reply);
    if (BEING_PROCESSED.equals(code)) {
      String message = errorMessage(reply).toLowerCase(Locale.ROOT);
      return reply.status() == 500 && PUSH_REFUSAL_MESSAGES.stream().anyMatch(message::contains);
    }
    Integer documentedStatus = PUSH_REFUSALS.get(code);
    return documentedStatus != null && documentedStatus == reply.status();
  }

  private RailOutcome queryOutcome(String checkoutRequestId, HttpReply reply) {
    if (reply.status() == 200) {
      JsonNode answer = JsonBodies.object(json, reply.body());
      String resultCode = answer == null ? "" : answer.path("ResultCode").asString("");
      if (resultCode.isEmpty()) {
        return new RailOutcome.Unknown(NAME, "STK query answer without ResultCode");
      }
      return "0".equals(resultCode)
          ? new RailOutcome.Approved(NAME, checkoutRequestId, "0")
          : declined(NAME, checkoutRequestId, resultCode, answer.path("ResultDesc").asString(""));
    }
    // "The transaction is being processed": the customer has not acted yet (rails.md §1.5).
    if (reply.status() == 500 && BEING_PROCESSED.equals(errorCode(reply))) {
      return new RailOutcome.Pending(NAME, checkoutRequestId);
    }
    return new RailOutcome.Unknown(NAME, "STK query HTTP " + reply.status() + " " + HttpReply.clip(errorCode(reply), 40));
  }

  /** A failure with our code for a Daraja ResultCode (rails.md §1.6). */
  static RailOutcome.Declined declined(String railName, String checkoutRequestId, String resultCode, String description) {
    String failureCode = switch (resultCode) {
      case "1032" -> "customer_cancelled";
      case "1" -> "insufficient_funds";
      case "1037", "1019" -> "timeout";
      case "2001" -> "invalid_pin";
      case "4", "8" -> "limit_exceeded";
      case "2", "3" -> "amount_invalid";
      default -> "provider_declined";
    };
    String message = switch (failureCode) {
      case "customer_cancelled" -> "The customer cancelled the payment on the phone.";
      case "insufficient_funds" -> "The M-Pesa balance is too low.";
      case "timeout" -> "The customer did not answer the payment prompt in time.";
      case "invalid_pin" -> "The customer entered a wrong PIN.";
      default -> "M-Pesa declined the payment (" + HttpReply.clip(description, 40) + ").";
    };
    return new RailOutcome.Declined(railName, checkoutRequestId, resultCode, failureCode, message);
  }

  private String password(String timestamp) {
    return Base64.getEncoder().encodeToString((shortcode + passkey + timestamp).getBytes(StandardCharsets.UTF_8));
  }

  /** Daraja allows at most 12 alphanumeric characters (rails.md §1.3). */
  private static String accountReference(RailRequest request) {
    String source = request.reference() == null ? "" : request.reference().replaceAll("[^A-Za-z0-9]", "");
    if (source.isEmpty()) {
      source = "MALIPO";
    }
    return source.length() <= 12 ? source : source.substring(0, 12);
  }

  private String errorCode(HttpReply reply) {
    JsonNode answer = JsonBodies.object(json, reply.body());
    return answer == null ? "" : answer.path("errorCode").asString("");
  }

  private String errorMessage(HttpReply reply) {
    JsonNode answer = JsonBodies.object(json, reply.body());
    return answer == null ? "" : answer.path("errorMessage").asString("");
  }

  private static long parseLong(String value) {
    try {
      return new BigDecimal(value).longValue();
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
