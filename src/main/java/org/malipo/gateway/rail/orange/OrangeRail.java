package org.malipo.gateway.rail.orange;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.JsonBodies;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.CallbackUrls;
import org.malipo.gateway.rail.HttpReply;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.MobileMoneyPayer;
import org.malipo.gateway.rail.PaymentInstrument;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailCallback;
import org.malipo.gateway.rail.RailException;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.RailTokenCache;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Orange Money merchant payments in Orange's wire format (docs/rails/orange.md).
 *
 * <ul>
 *   <li>Token: {@code POST /token} with Basic clientId:clientSecret and form
 *       {@code grant_type=client_credentials}; cached until 60 s before {@code expires_in}; a 401
 *       revokes it and the call is retried once. Every call also carries the merchant's
 *       {@code X-AUTH-TOKEN}.
 *   <li>{@code POST /omcoreapis/1.0.2/mp/init} → {@code data.payToken}: no money moves yet, so any
 *       failure here is {@link RailException#notCharged}.
 *   <li>{@code POST /omcoreapis/1.0.2/mp/pay} with {@code subscriberMsisdn} (national number),
 *       {@code amount} (a string of whole units: XOF and XAF have no minor unit), {@code orderId} =
 *       our attempt id, {@code notifUrl} (with our attempt id) and the payToken: {@code
 *       data.status PENDING} → {@link RailOutcome.Pending} under the payToken; {@code FAILED} →
 *       declined; anything else → {@link RailOutcome.Unknown} (then the notification, which finds
 *       the attempt by its id, or an operator settles it).
 *   <li>Status: {@code GET /omcoreapis/1.0.2/mp/paymentstatus/{payToken}}: {@code SUCCESSFULL}
 *       (Orange's spelling) approved; {@code FAILED}, {@code CANCELLED}, {@code EXPIRED} declined;
 *       {@code PENDING}/{@code INITIATED} pending.
 *   <li>Notification: {@code {"payToken","status","message"}}, unsigned: a hint the status query
 *       confirms.
 * </ul>
 */
public final class OrangeRail implements RailAdapter {

  /** The rail name in routing, metrics and the ledger. */
  public static final String NAME = "orange";

  static final String TOKEN_PATH = "/token";
  static final String INIT_PATH = "/omcoreapis/1.0.2/mp/init";
  static final String PAY_PATH = "/omcoreapis/1.0.2/mp/pay";
  static final String STATUS_PATH = "/omcoreapis/1.0.2/mp/paymentstatus/{payToken}";
  static final String AUTH_TOKEN = "X-AUTH-TOKEN";
  static final Duration TOKEN_REFRESH_BEFORE = Duration.ofSeconds(60);
  /** Orange's confirmation status for a balance too low [U]. */
  static final String INSUFFICIENT_BALANCE = "60019";

  /** Orange Money's markets by E.164 country calling code, with their currency. */
  static final Map<String, CurrencyUnit> MARKETS = Map.of(
      "225", CurrencyUnit.XOF, "221", CurrencyUnit.XOF, "223", CurrencyUnit.XOF, "226", CurrencyUnit.XOF,
      "237", CurrencyUnit.XAF);

  private final WebClient client;
  private final String authToken;
  private final String channelUserMsisdn;
  private final String pin;
  private final CallbackUrls callbackUrls;
  private final Clock clock;
  private final RailTokenCache tokens;
  private final JsonMapper json = JsonMapper.builder().build();

  /**
   * @param client a client whose base URL is the Orange API host
   * @param clientId OAuth consumer key
   * @param clientSecret OAuth consumer secret
   * @param authToken the merchant's {@code X-AUTH-TOKEN}
   * @param channelUserMsisdn the merchant wallet
   * @param pin the merchant wallet's PIN
   * @param callbackUrls where Orange should notify
   */
  public OrangeRail(WebClient client, String clientId, String clientSecret, String authToken, String channelUserMsisdn,
      String pin, CallbackUrls callbackUrls, Clock clock) {
    this.client = client;
    this.authToken = authToken;
    this.channelUserMsisdn = channelUserMsisdn;
    this.pin = pin;
    this.callbackUrls = callbackUrls;
    this.clock = clock;
    this.tokens = new RailTokenCache(fetchToken(RailTokenCache.basicCredentials(clientId, clientSecret)),
        TOKEN_REFRESH_BEFORE, clock);
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
    return Set.of(CurrencyUnit.XOF, CurrencyUnit.XAF);
  }

  @Override
  public Optional<MobileMoneyOperator> operator() {
    return Optional.of(MobileMoneyOperator.ORANGE);
  }

  @Override
  public boolean serves(PaymentInstrument instrument, CurrencyUnit currency) {
    return instrument instanceof MobileMoneyPayer payer && countryCode(payer.msisdn()) != null;
  }

  /** No refund through this rail: {@code refund_not_supported}. */
  @Override
  public boolean supportsRefunds() {
    return false;
  }

  /** The payment body of {@code mp/pay}. */
  record Pay(String notifUrl, String channelUserMsisdn, String amount, String subscriberMsisdn, String pin,
      String orderId, String description, String payToken) {

    @Override
    public String toString() {
      return "Pay[orderId=" + orderId + ", amount=" + amount + "]"; // never the PIN
    }
  }

  static String countryCode(String e164) {
    for (String code : MARKETS.keySet()) {
      if (e164.startsWith("+" + code)) {
        return code;
      }
    }
    return null;
  }

  @Override
  public Mono<RailOutcome> authorize(RailRequest request) {
    MobileMoneyPayer payer = request.payer();
    String code = countryCode(payer.msisdn());
    Money amount = request.amount();
    if (code == null || MARKETS.get(code) != amount.currency()) {
      return Mono.error(RailException.notCharged(NAME + " takes XOF or XAF wallets of its markets only"));
    }
    String whole = BigDecimal.valueOf(amount.amountMinor(), amount.currency().exponent()).stripTrailingZeros()
        .toPlainString();
    String subscriber = payer.msisdn().substring(1 + code.length());
    String description = request.reference() == null ? request.paymentId() : request.reference();
    return init()
        .flatMap(payToken -> Mono.fromCallable(() -> json.writeValueAsBytes(new Pay(
                callbackUrls.callbackUrl(MobileMoneyOperator.ORANGE, request.attemptId()), channelUserMsisdn, whole,
                subscriber, pin, request.attemptId(), HttpReply.clip(description, 64), payToken)))
            .flatMap(body -> tokens.withToken(NAME, bearer -> client.post().uri(PAY_PATH)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
                .header(AUTH_TOKEN, authToken)
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .exchangeToMono(HttpReply::read))
                .onErrorMap(error -> HttpReply.transportError(NAME + ": payment", error)))
            .map(reply -> payOutcome(payToken, reply)));
  }

  /** A payToken; nothing is debited by it, so every failure is surely not charged. */
  private Mono<String> init() {
    return tokens.withToken(NAME, bearer -> client.post().uri(INIT_PATH)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
        .header(AUTH_TOKEN, authToken)
        .accept(MediaType.APPLICATION_JSON)
        .exchangeToMono(HttpReply::read))
        .onErrorMap(error -> error instanceof RailException ? error
            : RailException.notCharged(NAME + ": init failed, no payment sent (" + error.getClass().getSimpleName() + ")", error))
        .map(reply -> {
          JsonNode answer = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
          String payToken = answer == null ? "" : answer.path("data").path("payToken").asString("");
          if (payToken.isEmpty()) {
            throw RailException.notCharged(NAME + ": init answered HTTP " + reply.status() + ", no payment sent");
          }
          return payToken;
        });
  }

  private RailOutcome payOutcome(String payToken, HttpReply reply) {
    JsonNode data = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
    data = data == null ? null : data.path("data");
    if (data == null || !data.isObject()) {
      return new RailOutcome.Unknown(NAME, "payment HTTP " + reply.status());
    }
    return outcomeOf(payToken, data);
  }

  private RailOutcome outcomeOf(String payToken, JsonNode data) {
    String status = data.path("status").asString("");
    return switch (status) {
      case "SUCCESSFULL", "SUCCESSFUL" -> new RailOutcome.Approved(NAME, payToken, data.path("txnid").asString(status));
      case "PENDING", "INITIATED" -> new RailOutcome.Pending(NAME, payToken);
      case "FAILED", "CANCELLED", "EXPIRED" -> declined(payToken, status, data.path("confirmtxnstatus").asString(""));
      default -> new RailOutcome.Unknown(NAME, "status " + HttpReply.clip(status, 12));
    };
  }

  /** The status query takes the payToken; an attempt whose answer was lost waits for its notification. */
  @Override
  public String statusReference(String attemptId, String railReference) {
    return railReference;
  }

  @Override
  public Mono<RailOutcome> queryStatus(String payToken) {
    return tokens.withToken(NAME, bearer -> client.get().uri(STATUS_PATH, payToken)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
        .header(AUTH_TOKEN, authToken)
        .accept(MediaType.APPLICATION_JSON)
        .exchangeToMono(HttpReply::read))
        .map(reply -> {
          JsonNode answer = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
          JsonNode data = answer == null ? null : answer.path("data");
          return data == null || !data.isObject()
              ? new RailOutcome.Unknown(NAME, "status HTTP " + reply.status())
              : outcomeOf(payToken, data);
        });
  }

  /**
   * Reads Orange's notification: {@code payToken} and {@code status}; our attempt id rides in the
   * notification URL ({@code referenceHint}). It carries no amount: the status query confirms it.
   *
   * @throws IllegalArgumentException when the body is not an Orange notification
   */
  @Override
  public RailCallback readCallback(byte[] body, String referenceHint) {
    JsonNode notification;
    try {
      notification = json.readTree(body);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not JSON");
    }
    String payToken = notification == null ? "" : notification.path("payToken").asString("");
    String status = notification == null ? "" : notification.path("status").asString("");
    if (payToken.isEmpty() || status.isEmpty()) {
      throw new IllegalArgumentException("not an Orange notification: payToken or status missing");
    }
    String attemptId = referenceHint == null || referenceHint.isBlank() ? null : referenceHint;
    return new RailCallback(payToken, attemptId, outcomeOf(payToken, notification), null, null);
  }

  /** A failure with our code (docs/rails/orange.md). */
  static RailOutcome.Declined declined(String payToken, String status, String confirmStatus) {
    String failureCode = switch (status) {
      case "CANCELLED" -> "customer_cancelled";
      case "EXPIRED" -> "timeout";
      default -> INSUFFICIENT_BALANCE.equals(confirmStatus) ? "insufficient_funds" : "provider_declined";
    };
    String message = switch (failureCode) {
      case "customer_cancelled" -> "The customer cancelled the payment on the phone.";
      case "timeout" -> "The customer did not approve the payment in time.";
      case "insufficient_funds" -> "The Orange Money balance is too low.";
      default -> "Orange Money declined the payment.";
    };
    return new RailOutcome.Declined(NAME, payToken, confirmStatus.isEmpty() ? status : confirmStatus, failureCode, message);
  }

  private Mono<RailTokenCache.Token> fetchToken(String basic) {
    return Mono.defer(() -> client.post().uri(TOKEN_PATH)
        .header(HttpHeaders.AUTHORIZATION, basic)
        .contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .body(BodyInserters.fromFormData("grant_type", "client_credentials"))
        .exchangeToMono(HttpReply::read))
        .map(reply -> {
          JsonNode answer = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
          String token = answer == null ? "" : answer.path("access_token").asString("");
          long expiresInSeconds = answer == null ? 0 : answer.path("expires_in").asLong(0);
          if (token.isEmpty() || expiresInSeconds <= 0) {
            throw RailException.notCharged(NAME + ": token request answered HTTP " + reply.status());
          }
          return new RailTokenCache.Token(token, clock.instant().plusSeconds(expiresInSeconds));
        });
  }
}
