package org.malipo.gateway.rail.mtnmomo;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
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
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * MTN MoMo Open API, Collections request-to-pay, in MoMo's wire format (rails.md §2).
 *
 * <ul>
 *   <li>Token: {@code POST /collection/token/} with Basic apiUser:apiKey and
 *       {@code Ocp-Apim-Subscription-Key}; cached until 60 s before {@code expires_in}, refreshed
 *       single-flight; a 401 revokes it and the call is retried once.
 *   <li>{@code POST /collection/v1_0/requesttopay} with {@code X-Reference-Id} = a name-based UUID
 *       of our attempt id (so a retry of the same attempt is refused with 409, never charged
 *       twice), {@code X-Target-Environment}, {@code X-Callback-Url}; the amount is a string of
 *       major units. 202 → {@link RailOutcome.Pending}; 409 (already created) → pending too; a 401
 *       or an error whose {@code code} MoMo documents as refusing the request (see
 *       {@link #REFUSALS}), a request never sent or no access token → {@link RailException#notCharged};
 *       any other answer (INTERNAL_PROCESSING_ERROR, SERVICE_UNAVAILABLE, a proxy's 502/503/504, a
 *       body without a code) → {@link RailOutcome.Unknown}, resolved by the status query under our
 *       X-Reference-Id; a connection lost after sending → {@link RailException#mayHaveCharged}.
 *   <li>Status: {@code GET /collection/v1_0/requesttopay/{ref}}: SUCCESSFUL → approved, FAILED →
 *       declined with a mapped reason, PENDING → pending.
 * </ul>
 */
public final class MtnMomoRail implements RailAdapter {

  /** The rail name in routing, metrics and the ledger. */
  public static final String NAME = "mtn_momo";

  static final String TOKEN_PATH = "/collection/token/";
  static final String REQUEST_TO_PAY_PATH = "/collection/v1_0/requesttopay";
  static final String SUBSCRIPTION_KEY = "Ocp-Apim-Subscription-Key";
  static final Duration TOKEN_REFRESH_BEFORE = Duration.ofSeconds(60);

  /**
   * The error codes that refuse a request-to-pay before any request exists, as MoMo documents them
   * for the POST (rails.md §2.3 and §2.5): a bad body, a wrong target environment, a callback host
   * that is not the registered one, a currency the environment does not take. They come with 400
   * or 500. Not here, so unknown: {@code INTERNAL_PROCESSING_ERROR} ("do not blindly retry a
   * 500"), {@code SERVICE_UNAVAILABLE} (retryable, which does not say nothing was created) and
   * anything unlisted.
   */
  static final Set<String> REFUSALS = Set.of(
      "VALIDATION_ERROR", "NOT_ALLOWED_TARGET_ENVIRONMENT", "INVALID_CALLBACK_URL_HOST", "INVALID_CURRENCY");

  private final WebClient client;
  private final String subscriptionKey;
  private final String targetEnvironment;
  private final CallbackUrls callbackUrls;
  private final Clock clock;
  private final RailTokenCache tokens;
  private final JsonMapper json = JsonMapper.builder().build();

  /**
   * @param client a client whose base URL is the MoMo host
   * @param subscriptionKey the Collections product's subscription key
   * @param apiUser API user id (UUID)
   * @param apiKey API key
   * @param targetEnvironment {@code sandbox} or the market, e.g. {@code mtnuganda}
   */
  public MtnMomoRail(WebClient client, String subscriptionKey, String apiUser, String apiKey,
      String targetEnvironment, CallbackUrls callbackUrls, Clock clock) {
    this.client = client;
    this.subscriptionKey = subscriptionKey;
    this.targetEnvironment = targetEnvironment;
    this.callbackUrls = callbackUrls;
    this.clock = clock;
    this.tokens = new RailTokenCache(fetchToken(RailTokenCache.basicCredentials(apiUser, apiKey)), TOKEN_REFRESH_BEFORE, clock);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PaymentMethodType methodType() {
    return PaymentMethodType.MOBILE_MONEY;
  }

  /** Market currencies, and EUR, the only currency of MoMo's sandbox. */
  @Override
  public Set<CurrencyUnit> currencies() {
    return Set.of(CurrencyUnit.UGX, CurrencyUnit.GHS, CurrencyUnit.RWF, CurrencyUnit.ZMW, CurrencyUnit.EUR);
  }

  @Override
  public Optional<MobileMoneyOperator> operator() {
    return Optional.of(MobileMoneyOperator.MTN_MOMO);
  }

  /** Request-to-pay body (rails.md §2.3). */
  record RequestToPay(String amount, String currency, String externalId, Party payer, String payerMessage,
      String payeeNote) {}

  /** {@code payer}: MSISDN in international form without {@code +}. */
  record Party(String partyIdType, String partyId) {}

  /** The status GET takes our X-Reference-Id, derived from the attempt id, known even when the answer was lost. */
  @Override
  public String statusReference(String attemptId, String railReference) {
    return railReference != null ? railReference : referenceId(attemptId);
  }

  /** Our X-Reference-Id for an attempt: stable, so a retried attempt is a 409, not a second debit. */
  public static String referenceId(String attemptId) {
    return UUID.nameUUIDFromBytes(attemptId.getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** Major units as MoMo wants them: a string without needless decimals, e.g. {@code "1500"}. */
  static String majorUnits(Money amount) {
    return BigDecimal.valueOf(amount.amountMinor(), amount.currency().exponent()).stripTrailingZeros().toPlainString();
  }

  @Override
  public Mono<RailOutcome> authorize(RailRequest request) {
    String referenceId = referenceId(request.attemptId());
    return Mono.fromCallable(() -> {
          String note = request.reference() == null ? request.paymentId() : request.reference();
          return json.writeValueAsBytes(new RequestToPay(majorUnits(request.amount()),
              request.amount().currency().code(), request.attemptId(),
              new Party("MSISDN", request.payer().digits()), "Payment " + note, note));
        })
        .flatMap(body -> tokens.withToken(NAME, bearer -> client.post().uri(REQUEST_TO_PAY_PATH)
            .header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
            .header("X-Reference-Id", referenceId)
            .header("X-Target-Environment", targetEnvironment)
            .header("X-Callback-Url", callbackUrls.callbackUrl(MobileMoneyOperator.MTN_MOMO, referenceId))
            .header(SUBSCRIPTION_KEY, subscriptionKey)
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(body)
            .exchangeToMono(HttpReply::read))
            .onErrorMap(error -> HttpReply.transportError(NAME + ": request-to-pay", error)))
        .<RailOutcome>map(reply -> switch (reply.status()) {
          case 202 -> new RailOutcome.Pending(NAME, referenceId);
          // RESOURCE_ALREADY_EXIST: this attempt's request exists already; its status tells the rest.
          case 409 -> new RailOutcome.Pending(NAME, referenceId);
          default -> {
            if (refused(reply)) {
              throw RailException.notCharged(NAME + " answered HTTP " + reply.status() + " " + code(reply));
            }
            // Not a refusal MoMo documents: the request may exist; its status tells.
            yield new RailOutcome.Unknown(NAME, "HTTP " + reply.status() + " " + code(reply));
          }
        });
  }

  /** Whether an error answer to a request-to-pay is one MoMo documents as refusing it before it exists. */
  private boolean refused(HttpReply reply) {
    int status = reply.status();
    // A 401 after the token refresh: nothing is processed for an unauthenticated caller.
    return status == 401 || ((status == 400 || status == 500) && REFUSALS.contains(code(reply)));
  }

  @Override
  public Mono<RailOutcome> queryStatus(String reference) {
    // An unknown attempt has no reference of its own: ours is derived from its attempt id.
    String referenceId = reference.startsWith("att_") ? referenceId(reference) : reference;
    return tokens.withToken(NAME, bearer -> client.get().uri(REQUEST_TO_PAY_PATH + "/{ref}", referenceId)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
        .header("X-Target-Environment", targetEnvironment)
        .header(SUBSCRIPTION_KEY, subscriptionKey)
        .accept(MediaType.APPLICATION_JSON)
        .exchangeToMono(HttpReply::read))
        .<RailOutcome>map(reply -> {
          if (reply.status() != 200) {
            return new RailOutcome.Unknown(NAME, "status HTTP " + reply.status() + " " + code(reply));
          }
          JsonNode status = JsonBodies.object(json, reply.body());
          return status == null ? new RailOutcome.Unknown(NAME, "unreadable status") : outcomeOf(referenceId, status);
        });
  }

  /**
   * Reads a callback: the same shape as the status answer (rails.md §2.6), without our
   * X-Reference-Id, which we carry in the callback URL ({@code referenceHint}).
   */
  @Override
  public RailCallback readCallback(byte[] body, String referenceHint) {
    JsonNode status;
    try {
      status = json.readTree(body);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not JSON");
    }
    if (status == null || !status.isObject() || status.path("status").asString("").isEmpty()) {
      throw new IllegalArgumentException("not a request-to-pay status: no status");
    }
    String reference = referenceHint == null || referenceHint.isBlank() ? null : referenceHint;
    String externalId = status.path("externalId").asString(null);
    RailOutcome outcome = outcomeOf(reference, status);
    Money amount = null;
    String amountText = status.path("amount").asString("");
    String currencyText = status.path("currency").asString("");
    CurrencyUnit currency = CurrencyUnit.fromCode(currencyText).orElse(null);
    if (!amountText.isEmpty() && currency != null) {
      try {
        amount = new Money(new BigDecimal(amountText).movePointRight(currency.exponent()).longValueExact(), currency);
      } catch (ArithmeticException | NumberFormatException e) {
        throw new IllegalArgumentException("amount is not a valid " + currency + " amount");
      }
    }
    String partyId = status.path("payer").path("partyId").asString("");
    return new RailCallback(reference, externalId, outcome, amount, partyId.isEmpty() ? null : "+" + partyId);
  }

  private RailOutcome outcomeOf(String referenceId, JsonNode status) {
    return switch (status.path("status").asString("")) {
      case "SUCCESSFUL" -> new RailOutcome.Approved(NAME, referenceId,
          status.path("financialTransactionId").asString("SUCCESSFUL"));
      case "PENDING" -> new RailOutcome.Pending(NAME, referenceId);
      case "FAILED" -> declined(referenceId, reason(status.path("reason")));
      default -> new RailOutcome.Unknown(NAME, "status " + HttpReply.clip(status.path("status").asString(""), 40));
    };
  }

  /** {@code reason} is a string in practice, an {@code {code, message}} object in old swagger. */
  private static String reason(JsonNode reason) {
    return reason.isObject() ? reason.path("code").asString("") : reason.asString("");
  }

  /** A failure with our code for a MoMo reason (rails.md §2.5). */
  static RailOutcome.Declined declined(String referenceId, String reason) {
    String failureCode = switch (reason) {
      case "APPROVAL_REJECTED", "TRANSACTION_CANCELED" -> "customer_cancelled";
      case "NOT_ENOUGH_FUNDS" -> "insufficient_funds";
      case "EXPIRED", "COULD_NOT_PERFORM_TRANSACTION" -> "timeout";
      case "PAYER_LIMIT_REACHED" -> "limit_exceeded";
      case "PAYER_NOT_FOUND", "SENDER_ACCOUNT_NOT_ACTIVE" -> "invalid_account";
      default -> "provider_declined";
    };
    String message = switch (failureCode) {
      case "customer_cancelled" -> "The customer rejected the payment on the phone.";
      case "insufficient_funds" -> "The MoMo balance is too low.";
      case "timeout" -> "The customer did not approve the payment in time.";
      default -> "MTN MoMo declined the payment (" + HttpReply.clip(reason, 40) + ").";
    };
    return new RailOutcome.Declined(NAME, referenceId, HttpReply.clip(reason, 40), failureCode, message);
  }

  private Mono<RailTokenCache.Token> fetchToken(String basic) {
    return Mono.defer(() -> client.post().uri(TOKEN_PATH)
        .header(HttpHeaders.AUTHORIZATION, basic)
        .header(SUBSCRIPTION_KEY, subscriptionKey)
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

  private String code(HttpReply reply) {
    JsonNode answer = JsonBodies.object(json, reply.body());
    return answer == null ? "" : HttpReply.clip(answer.path("code").asString(""), 40);
  }
}
