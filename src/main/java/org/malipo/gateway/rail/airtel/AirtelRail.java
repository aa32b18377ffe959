package org.malipo.gateway.rail.airtel;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.JsonBodies;
import org.malipo.gateway.common.Money;
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
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Airtel Money Africa collections in Airtel's wire format (rails.md §3).
 *
 * <ul>
 *   <li>Token: {@code POST /auth/oauth2/token} with a JSON body {@code {client_id, client_secret,
 *       grant_type: "client_credentials"}}; cached until 60 s before {@code expires_in} (a number
 *       or a string), single-flight; a 401 revokes it and the call is retried once.
 *   <li>USSD push: {@code POST /merchant/v1/payments/} with {@code X-Country} and {@code X-Currency}
 *       of the wallet, the msisdn without its country code, the amount a number of whole major
 *       units, and {@code transaction.id} = our attempt id + {@code "."} + country + currency (the
 *       idempotency and enquiry key, which also tells the enquiry its headers). {@code success:true}
 *       ({@code DP00800001006}, in process) → {@link RailOutcome.Pending}, never a success; a
 *       refusal Airtel lists with a final reason → {@link RailOutcome.Declined}; {@code
 *       DP00800001026} (signature mismatch, refused before processing), a 401 after one refresh, a
 *       request never sent or no token → {@link RailException#notCharged}; anything else
 *       ({@code DP00800001000} ambiguous, 5xx, unreadable) → {@link RailOutcome.Unknown}.
 *   <li>Enquiry: {@code GET /standard/v1/payments/{id}}: {@code TS} approved, {@code TF} declined
 *       (reason from {@code status.response_code}), {@code TE} declined {@code timeout}, {@code TIP}
 *       pending, {@code TA} (ambiguous) unknown.
 *   <li>Callback: {@code {"transaction":{"id","message","status_code","airtel_money_id"}}}, unsigned
 *       here (the optional {@code hash} is not checked: which bytes it covers is not documented,
 *       rails.md §3.4 [U]); a hint confirmed by the enquiry.
 * </ul>
 */
public final class AirtelRail implements RailAdapter {

  /** The rail name in routing, metrics and the ledger. */
  public static final String NAME = "airtel";

  static final String TOKEN_PATH = "/auth/oauth2/token";
  static final String PAYMENTS_PATH = "/merchant/v1/payments/";
  static final String ENQUIRY_PATH = "/standard/v1/payments/{id}";
  static final Duration TOKEN_REFRESH_BEFORE = Duration.ofSeconds(60);
  static final String IN_PROCESS = "DP00800001006";
  static final String AMBIGUOUS = "DP00800001000";
  /** "Forbidden: x-signature and payload mismatch": refused before processing (rails.md §3.5). */
  static final String SIGNATURE_MISMATCH = "DP00800001026";

  /**
   * The wallet countries Airtel collects in, by E.164 country calling code, with the currency it
   * settles there (rails.md §9; Airtel's markets named by issue 22).
   */
  static final Map<String, Market> MARKETS = Map.of(
      "254", new Market("KE", CurrencyUnit.KES),
      "256", new Market("UG", CurrencyUnit.UGX),
      "255", new Market("TZ", CurrencyUnit.TZS),
      "250", new Market("RW", CurrencyUnit.RWF),
      "260", new Market("ZM", CurrencyUnit.ZMW),
      "265", new Market("MW", CurrencyUnit.MWK),
      "242", new Market("CG", CurrencyUnit.XAF),
      "235", new Market("TD", CurrencyUnit.XAF),
      "241", new Market("GA", CurrencyUnit.XAF));

  /** A country Airtel serves: ISO 3166 alpha-2 and its currency. */
  record Market(String country, CurrencyUnit currency) {}

  private final WebClient client;
  private final Clock clock;
  private final RailTokenCache tokens;
  private final JsonMapper json = JsonMapper.builder().build();

  /**
   * @param client a client whose base URL is the Airtel OpenAPI host
   * @param clientId OAuth client id of the Airtel app
   * @param clientSecret OAuth client secret
   */
  public AirtelRail(WebClient client, String clientId, String clientSecret, Clock clock) {
    this.client = client;
    this.clock = clock;
    this.tokens = new RailTokenCache(fetchToken(clientId, clientSecret), TOKEN_REFRESH_BEFORE, clock);
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
    return Set.of(CurrencyUnit.KES, CurrencyUnit.UGX, CurrencyUnit.TZS, CurrencyUnit.RWF, CurrencyUnit.ZMW,
        CurrencyUnit.MWK, CurrencyUnit.XAF);
  }

  @Override
  public Optional<MobileMoneyOperator> operator() {
    return Optional.of(MobileMoneyOperator.AIRTEL);
  }

  /** Only wallets of a country Airtel serves, in that country's currency. */
  @Override
  public boolean serves(PaymentInstrument instrument, CurrencyUnit currency) {
    return instrument instanceof MobileMoneyPayer payer && market(payer.msisdn()) != null;
  }

  /** No refund through this rail: {@code refund_not_supported}. */
  @Override
  public boolean supportsRefunds() {
    return false;
  }

  /** USSD push body (rails.md §3.2). */
  record Push(String reference, Subscriber subscriber, Transaction transaction) {}

  /** {@code subscriber}: msisdn without the country code. */
  record Subscriber(String country, String currency, String msisdn) {}

  /** {@code transaction}: amount a number of major units; id ours. */
  record Transaction(BigDecimal amount, String country, String currency, String id) {}

  /** Token request body (rails.md §3.1). */
  record TokenRequest(String clientId, String clientSecret, String grantType) {}

  /** Our {@code transaction.id}: the attempt id, then the wallet's country and currency. */
  static String transactionId(String attemptId, String country, CurrencyUnit currency) {
    return attemptId + "." + country + currency.code();
  }

  /** The wallet's market, by its E.164 country code, or null when Airtel serves none there. */
  static Market market(String e164) {
    for (int length = 1; length <= 3 && e164.length() > length + 1; length++) {
      Market market = MARKETS.get(e164.substring(1, 1 + length));
      if (market != null) {
        return market;
      }
    }
    return null;
  }

  /** Whole major units as Airtel takes them; null when the amount has a fraction of a major unit. */
  static BigDecimal wholeMajorUnits(Money amount) {
    BigDecimal major = BigDecimal.valueOf(amount.amountMinor(), amount.currency().exponent());
    return major.stripTrailingZeros().scale() > 0 ? null : major.setScale(0);
  }

  @Override
  public Mono<RailOutcome> authorize(RailRequest request) {
    MobileMoneyPayer payer = request.payer();
    Market market = market(payer.msisdn());
    BigDecimal amount = wholeMajorUnits(request.amount());
    if (market == null || market.currency() != request.amount().currency() || amount == null) {
      return Mono.error(RailException.notCharged(NAME + " takes whole units of the wallet country's currency only"));
    }
    String country = market.country();
    String currency = market.currency().code();
    String id = transactionId(request.attemptId(), country, market.currency());
    String nsn = payer.msisdn().substring(1 + countryCodeLength(payer.msisdn()));
    String reference = request.reference() == null ? request.paymentId() : request.reference();
    return Mono.fromCallable(() -> json.writeValueAsBytes(new Push(HttpReply.clip(reference, 64),
            new Subscriber(country, currency, nsn), new Transaction(amount, country, currency, id))))
        .flatMap(body -> tokens.withToken(NAME, bearer -> client.post().uri(PAYMENTS_PATH)
            .header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
            .header("X-Country", country)
            .header("X-Currency", currency)
            .contentType(MediaType.APPLICATION_JSON)
            .accept(MediaType.ALL)
            .bodyValue(body)
            .exchangeToMono(HttpReply::read))
            .onErrorMap(error -> HttpReply.transportError(NAME + ": USSD push", error)))
        .map(reply -> pushOutcome(id, reply));
  }

  private RailOutcome pushOutcome(String id, HttpReply reply) {
    if (reply.status() == 401) {
      throw RailException.notCharged(NAME + " answered HTTP 401 after a token refresh");
    }
    JsonNode answer = JsonBodies.object(json, reply.body());
    JsonNode status = answer == null ? null : answer.path("status");
    if (status == null || !status.isObject()) {
      return new RailOutcome.Unknown(NAME, "USSD push HTTP " + reply.status() + ", not Airtel's answer");
    }
    String code = status.path("response_code").asString("");
    boolean success = status.path("success").asBoolean(false);
    if (reply.status() == 200 && success) {
      // DP00800001006 "in process": the prompt went out; the callback or enquiry says the rest.
      return new RailOutcome.Pending(NAME, id);
    }
    if (SIGNATURE_MISMATCH.equals(code)) {
      throw RailException.notCharged(NAME + " refused the push: " + code);
    }
    if (!success && reply.status() < 500 && DECLINES.containsKey(code)) {
      return declined(id, code);
    }
    return new RailOutcome.Unknown(NAME, "USSD push HTTP " + reply.status() + " " + HttpReply.clip(code, 20));
  }

  /** The enquiry takes our transaction id, which holds the country and currency it needs. */
  @Override
  public String statusReference(String attemptId, String railReference) {
    // An attempt whose push answer was lost has no transaction id stored: its country is not
    // known here, so it waits for its callback (which carries the id), as M-Pesa does.
    return railReference;
  }

  @Override
  public Mono<RailOutcome> queryStatus(String id) {
    if (id == null || id.length() < 6 || id.charAt(id.length() - 6) != '.') {
      return Mono.just(new RailOutcome.Unknown(NAME, "not an Airtel transaction id of this gateway"));
    }
    String country = id.substring(id.length() - 5, id.length() - 3);
    String currency = id.substring(id.length() - 3);
    return tokens.withToken(NAME, bearer -> client.get().uri(ENQUIRY_PATH, id)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
        .header("X-Country", country)
        .header("X-Currency", currency)
        .accept(MediaType.ALL)
        .exchangeToMono(HttpReply::read))
        .map(reply -> {
          JsonNode answer = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
          JsonNode transaction = answer == null ? null : answer.path("data").path("transaction");
          if (transaction == null || !transaction.isObject()) {
            return new RailOutcome.Unknown(NAME, "enquiry HTTP " + reply.status());
          }
          String responseCode = answer.path("status").path("response_code").asString("");
          return switch (transaction.path("status").asString("")) {
            case "TS" -> new RailOutcome.Approved(NAME, id, transaction.path("airtel_money_id").asString("TS"));
            case "TF" -> declined(id, responseCode);
            case "TE" -> declined(id, "DP00800001029");
            case "TIP" -> new RailOutcome.Pending(NAME, id);
            default -> new RailOutcome.Unknown(NAME, "enquiry status " + HttpReply.clip(transaction.path("status").asString(""), 10));
          };
        });
  }

  /**
   * Reads Airtel's callback (rails.md §3.4). It carries no amount: the enquiry confirms it.
   *
   * @throws IllegalArgumentException when the body is not an Airtel callback
   */
  @Override
  public RailCallback readCallback(byte[] body, String referenceHint) {
    JsonNode transaction;
    try {
      JsonNode root = json.readTree(body);
      transaction = root == null ? null : root.path("transaction");
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not JSON");
    }
    String id = transaction == null ? "" : transaction.path("id").asString("");
    String statusCode = transaction == null ? "" : transaction.path("status_code").asString("");
    if (id.isEmpty() || statusCode.isEmpty()) {
      throw new IllegalArgumentException("not an Airtel callback: transaction.id or status_code missing");
    }
    int dot = id.lastIndexOf('.');
    String attemptId = dot > 0 ? id.substring(0, dot) : null;
    RailOutcome outcome = switch (statusCode) {
      case "TS" -> new RailOutcome.Approved(NAME, id, transaction.path("airtel_money_id").asString("TS"));
      case "TF" -> declined(id, "");
      default -> new RailOutcome.Unknown(NAME, "callback status " + HttpReply.clip(statusCode, 10));
    };
    return new RailCallback(id, attemptId, outcome, null, null);
  }

  /**
   * Airtel's final refusals (rails.md §3.5) and our failure codes. Not here, so never a decline:
   * {@code DP00800001000} (ambiguous), {@code DP00800001001} (success), {@code DP00800001006} (in
   * process), {@code DP00800001025} (not found).
   */
  static final Map<String, String> DECLINES = Map.of(
      "DP00800001002", "invalid_pin",
      "DP00800001003", "limit_exceeded",
      "DP00800001004", "amount_invalid",
      "DP00800001005", "timeout",
      "DP00800001007", "insufficient_funds",
      "DP00800001008", "customer_cancelled",
      "DP00800001010", "invalid_account",
      "DP00800001024", "timeout",
      "DP00800001029", "timeout");

  /** A failure with our code for an Airtel response code; unlisted codes are {@code provider_declined}. */
  static RailOutcome.Declined declined(String id, String responseCode) {
    String failureCode = DECLINES.getOrDefault(responseCode, "provider_declined");
    String message = switch (failureCode) {
      case "customer_cancelled" -> "The customer refused the payment on the phone.";
      case "insufficient_funds" -> "The Airtel Money balance is too low.";
      case "timeout" -> "The customer did not approve the payment in time.";
      case "invalid_pin" -> "The customer entered a wrong PIN.";
      default -> "Airtel Money declined the payment.";
    };
    return new RailOutcome.Declined(NAME, id, responseCode.isEmpty() ? "TF" : responseCode, failureCode, message);
  }

  private static int countryCodeLength(String e164) {
    for (int length = 1; length <= 3; length++) {
      if (MARKETS.containsKey(e164.substring(1, 1 + length))) {
        return length;
      }
    }
    throw new IllegalArgumentException("not an Airtel market");
  }

  private Mono<RailTokenCache.Token> fetchToken(String clientId, String clientSecret) {
    return Mono.defer(() -> client.post().uri(TOKEN_PATH)
        .contentType(MediaType.APPLICATION_JSON)
        .accept(MediaType.ALL)
        .bodyValue(json.writeValueAsBytes(Map.of("client_id", clientId, "client_secret", clientSecret,
            "grant_type", "client_credentials")))
        .exchangeToMono(HttpReply::read))
        .map(reply -> {
          JsonNode answer = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
          String token = answer == null ? "" : answer.path("access_token").asString("");
          // A number in the docs, a string ("180") in practice: accept both.
          long expiresInSeconds = answer == null ? 0 : parseLong(answer.path("expires_in").asString("0"));
          if (token.isEmpty() || expiresInSeconds <= 0) {
            throw RailException.notCharged(NAME + ": token request answered HTTP " + reply.status());
          }
          return new RailTokenCache.Token(token, clock.instant().plusSeconds(expiresInSeconds));
        });
  }

  private static long parseLong(String value) {
    try {
      return new BigDecimal(value).longValue();
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
