package org.malipo.gateway.rail.flutterwave;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.JsonBodies;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.CardData;
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
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Flutterwave v3 in its wire format (rails.md §5).
 *
 * <ul>
 *   <li>Auth: {@code Authorization: Bearer FLWSECK…}; a 401 is a configuration error:
 *       {@link RailException#notCharged}.
 *   <li>Charge: {@code POST /v3/charges?type=card} with the card payload 3DES-encrypted under the
 *       encryption key ({@code client}), or {@code type=mobile_money_uganda|rwanda|zambia|franco}
 *       with {@code phone_number} (international, no {@code +}), {@code network} and, for
 *       francophone wallets, {@code country}. Amounts are <b>major units</b> ({@code 100} = NGN
 *       100); {@code tx_ref} = our attempt id. {@code data.status} {@code successful} → approved,
 *       {@code failed} → declined, {@code pending} → pending under Flutterwave's numeric {@code
 *       data.id}; {@code status:"error"} without data (a refused request) →
 *       {@link RailException#notCharged}, except a duplicate {@code tx_ref}; anything else unknown.
 *   <li>Verify: {@code GET /v3/transactions/{id}/verify}, or by our reference ({@code
 *       /v3/transactions/verify_by_reference?tx_ref=}, [U]) for an attempt whose answer was lost.
 *   <li>Webhook: the v3 envelope {@code {"event":"charge.completed","data":{…}}} or the legacy flat
 *       shape, authentic when {@code verif-hash} equals the dashboard's secret hash (a plain
 *       constant-time compare, not an HMAC); confirmed by verify before it changes a payment.
 *   <li>Refund: {@code POST /v3/transactions/{id}/refund} with {@code amount} in major units.
 * </ul>
 */
public final class FlutterwaveRail implements RailAdapter {

  /** The rail name in routing, metrics and the ledger. */
  public static final String NAME = "flutterwave";

  static final String CHARGES_PATH = "/v3/charges";
  static final String VERIFY_PATH = "/v3/transactions/{id}/verify";
  static final String VERIFY_BY_REFERENCE_PATH = "/v3/transactions/verify_by_reference";
  static final String REFUND_PATH = "/v3/transactions/{id}/refund";
  static final String HASH_HEADER = "verif-hash";

  /** Mobile-money markets: E.164 country code → charge type, currency, ISO country and operators. */
  static final Map<String, Market> MARKETS = Map.of(
      "256", new Market("mobile_money_uganda", CurrencyUnit.UGX, "UG",
          Set.of(MobileMoneyOperator.MTN_MOMO, MobileMoneyOperator.AIRTEL)),
      "250", new Market("mobile_money_rwanda", CurrencyUnit.RWF, "RW",
          Set.of(MobileMoneyOperator.MTN_MOMO, MobileMoneyOperator.AIRTEL)),
      "260", new Market("mobile_money_zambia", CurrencyUnit.ZMW, "ZM",
          Set.of(MobileMoneyOperator.MTN_MOMO, MobileMoneyOperator.AIRTEL)),
      "225", new Market("mobile_money_franco", CurrencyUnit.XOF, "CI", Set.of(MobileMoneyOperator.ORANGE)),
      "221", new Market("mobile_money_franco", CurrencyUnit.XOF, "SN", Set.of(MobileMoneyOperator.ORANGE)));

  /** One mobile-money market of Flutterwave's. */
  record Market(String chargeType, CurrencyUnit currency, String country, Set<MobileMoneyOperator> operators) {}

  private final WebClient client;
  private final String secretKey;
  private final String secretHash;
  private final String encryptionKey;
  private final JsonMapper json = JsonMapper.builder().build();

  /**
   * @param client a client whose base URL is the Flutterwave API host (without {@code /v3})
   * @param secretKey {@code FLWSECK…}, the API bearer
   * @param secretHash the dashboard's webhook secret hash
   * @param encryptionKey the 24-character 3DES key of card charges
   * @throws IllegalArgumentException when the encryption key is not 24 bytes (a 3DES key), so a
   *     wrong key fails start-up rather than every card payment
   */
  public FlutterwaveRail(WebClient client, String secretKey, String secretHash, String encryptionKey) {
    if (encryptionKey.getBytes(StandardCharsets.UTF_8).length != 24) {
      throw new IllegalArgumentException("malipo.rails.flutterwave.encryption-key must be 24 characters (a 3DES key)");
    }
    this.client = client;
    this.secretKey = secretKey;
    this.secretHash = secretHash;
    this.encryptionKey = encryptionKey;
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
  public Set<PaymentMethodType> methodTypes() {
    return EnumSet.of(PaymentMethodType.CARD, PaymentMethodType.MOBILE_MONEY);
  }

  @Override
  public Set<CurrencyUnit> currencies() {
    return Set.of(CurrencyUnit.NGN, CurrencyUnit.UGX, CurrencyUnit.RWF, CurrencyUnit.ZMW, CurrencyUnit.XOF);
  }

  @Override
  public Optional<MobileMoneyOperator> operator() {
    return Optional.empty();
  }

  @Override
  public Set<MobileMoneyOperator> operators() {
    return EnumSet.of(MobileMoneyOperator.MTN_MOMO, MobileMoneyOperator.AIRTEL, MobileMoneyOperator.ORANGE);
  }

  /** Cards in NGN; wallets of the operators it serves in their own country and currency. */
  @Override
  public boolean serves(PaymentInstrument instrument, CurrencyUnit currency) {
    return switch (instrument) {
      case CardData card -> currency == null || currency == CurrencyUnit.NGN;
      case MobileMoneyPayer payer -> {
        Market market = market(payer.msisdn());
        yield market != null && market.operators().contains(payer.operator())
            && (currency == null || currency == market.currency());
      }
      default -> false;
    };
  }

  static Market market(String e164) {
    return e164.length() < 5 ? null : MARKETS.get(e164.substring(1, 4));
  }

  /** Major units as Flutterwave takes them, e.g. {@code 2500} or {@code 150.5}. */
  static BigDecimal majorUnits(Money amount) {
    BigDecimal major = BigDecimal.valueOf(amount.amountMinor(), amount.currency().exponent()).stripTrailingZeros();
    // 2500, never 2.5E+3: Jackson writes a BigDecimal's own notation.
    return major.scale() < 0 ? major.setScale(0) : major;
  }

  @Override
  public Mono<RailOutcome> authorize(RailRequest request) {
    Money amount = request.amount();
    if (!serves(request.instrument(), amount.currency())) {
      return Mono.error(RailException.notCharged(NAME + " does not serve this instrument in " + amount.currency()));
    }
    String type;
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("tx_ref", request.attemptId());
    body.put("amount", majorUnits(amount));
    body.put("currency", amount.currency().code());
    body.put("email", request.paymentId() + "@customers.malipo.invalid");
    switch (request.instrument()) {
      case CardData card -> {
        type = "card";
        Map<String, Object> payload = new LinkedHashMap<>(body);
        payload.put("card_number", card.number());
        payload.put("cvv", card.cvc());
        payload.put("expiry_month", String.format(Locale.ROOT, "%02d", card.expMonth()));
        payload.put("expiry_year", String.format(Locale.ROOT, "%02d", card.expYear() % 100));
        body.clear();
        try {
          body.put("client", encrypt(json.writeValueAsBytes(payload)));
        } catch (GeneralSecurityException e) {
          return Mono.error(RailException.notCharged(NAME + ": card payload could not be encrypted", e));
        }
      }
      case MobileMoneyPayer payer -> {
        Market market = market(payer.msisdn());
        type = market.chargeType();
        body.put("phone_number", payer.digits());
        body.put("network", switch (payer.operator()) {
          case MTN_MOMO -> "MTN";
          case AIRTEL -> "AIRTEL";
          default -> "ORANGE";
        });
        if ("mobile_money_franco".equals(type)) {
          body.put("country", market.country());
        }
      }
      default -> {
        return Mono.error(RailException.notCharged(NAME + ": unsupported instrument"));
      }
    }
    return Mono.fromCallable(() -> json.writeValueAsBytes(body))
        .flatMap(bytes -> client.post().uri(uri -> uri.path(CHARGES_PATH).queryParam("type", type).build())
            .header(HttpHeaders.AUTHORIZATION, "Bearer " + secretKey)
            .contentType(MediaType.APPLICATION_JSON)
            .accept(MediaType.APPLICATION_JSON)
            .bodyValue(bytes)
            .exchangeToMono(HttpReply::read)
            .onErrorMap(error -> HttpReply.transportError(NAME + ": charge", error)))
        .map(this::chargeOutcome);
  }

  /** Flutterwave's card encryption: 3DES (ECB, PKCS#5 padding) under the encryption key, base64. */
  String encrypt(byte[] payload) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("DESede/ECB/PKCS5Padding");
    cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encryptionKey.getBytes(StandardCharsets.UTF_8), "DESede"));
    return Base64.getEncoder().encodeToString(cipher.doFinal(payload));
  }

  private RailOutcome chargeOutcome(HttpReply reply) {
    JsonNode answer = JsonBodies.object(json, reply.body());
    if (reply.status() == 401) {
      throw RailException.notCharged(NAME + " refused the secret key (HTTP 401)");
    }
    if (reply.status() == 400 && answer != null && "error".equals(answer.path("status").asString(""))
        && !answer.path("data").isObject()
        && !answer.path("message").asString("").toLowerCase(Locale.ROOT).contains("duplicate")) {
      throw RailException.notCharged(NAME + " refused the charge: " + HttpReply.clip(answer.path("message").asString(""), 60));
    }
    JsonNode data = answer == null ? null : answer.path("data");
    if (reply.status() != 200 || data == null || !data.isObject() || data.path("id").asString("").isEmpty()) {
      return new RailOutcome.Unknown(NAME, "charge HTTP " + reply.status());
    }
    return outcomeOf(data);
  }

  private RailOutcome outcomeOf(JsonNode data) {
    String id = data.path("id").asString("");
    String status = data.path("status").asString("");
    return switch (status.toLowerCase(Locale.ROOT)) {
      case "successful" -> new RailOutcome.Approved(NAME, id, flwRef(data, "successful"));
      case "failed", "cancelled" -> declined(id, data);
      case "pending", "processing", "new" -> new RailOutcome.Pending(NAME, id);
      default -> new RailOutcome.Unknown(NAME, "status " + HttpReply.clip(status, 20));
    };
  }

  private static String flwRef(JsonNode data, String fallback) {
    String reference = data.path("flw_ref").asString(data.path("flwRef").asString(""));
    return reference.isEmpty() ? fallback : HttpReply.clip(reference, 40);
  }

  /** A failure with our code, from {@code processor_response} and the payment type. */
  static RailOutcome.Declined declined(String id, JsonNode data) {
    String response = data.path("processor_response").asString("");
    String lower = response.toLowerCase(Locale.ROOT);
    boolean card = "card".equals(data.path("payment_type").asString(""));
    String failureCode;
    if (lower.contains("insufficient")) {
      failureCode = "insufficient_funds";
    } else if (!card && (lower.contains("cancel") || lower.contains("declined by") || lower.contains("rejected"))) {
      failureCode = "customer_cancelled";
    } else if (lower.contains("timeout") || lower.contains("timed out") || lower.contains("expired")) {
      failureCode = "timeout";
    } else {
      failureCode = card ? "card_declined" : "provider_declined";
    }
    String message = switch (failureCode) {
      case "insufficient_funds" -> "The balance is too low.";
      case "customer_cancelled" -> "The customer cancelled the payment on the phone.";
      case "card_declined" -> "The card was declined.";
      case "timeout" -> "The customer did not approve the payment in time.";
      default -> "Flutterwave declined the payment.";
    };
    return new RailOutcome.Declined(NAME, id, HttpReply.clip(response.isEmpty() ? "failed" : response, 40), failureCode, message);
  }

  /**
   * Verifies a transaction by Flutterwave's numeric id, or by our {@code tx_ref} (an attempt id)
   * for an attempt whose answer, and with it the id, was lost.
   */
  @Override
  public Mono<RailOutcome> queryStatus(String reference) {
    WebClient.RequestHeadersSpec<?> request = reference.startsWith("att_")
        ? client.get().uri(uri -> uri.path(VERIFY_BY_REFERENCE_PATH).queryParam("tx_ref", reference).build())
        : client.get().uri(VERIFY_PATH, reference);
    return request
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + secretKey)
        .accept(MediaType.APPLICATION_JSON)
        .exchangeToMono(HttpReply::read)
        .map(reply -> {
          JsonNode answer = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
          JsonNode data = answer == null ? null : answer.path("data");
          return data == null || !data.isObject() || !"success".equals(answer.path("status").asString(""))
              ? new RailOutcome.Unknown(NAME, "verify HTTP " + reply.status())
              : outcomeOf(data);
        });
  }

  /**
   * Reads a webhook in either shape (rails.md §5): the v3 envelope ({@code data.id},
   * {@code data.tx_ref}) or the legacy flat one ({@code id}, {@code txRef}); amounts in major units.
   *
   * @throws IllegalArgumentException when the body is neither
   */
  @Override
  public RailCallback readCallback(byte[] body, String referenceHint) {
    JsonNode event;
    try {
      event = json.readTree(body);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not JSON");
    }
    if (event == null || !event.isObject()) {
      throw new IllegalArgumentException("not a Flutterwave event");
    }
    JsonNode data = event.path("data").isObject() ? event.path("data") : event;
    String id = data.path("id").asString("");
    String txRef = data.path("tx_ref").asString(data.path("txRef").asString(""));
    if (id.isEmpty() || data.path("status").asString("").isEmpty()) {
      throw new IllegalArgumentException("not a Flutterwave charge event: id or status missing");
    }
    Money amount = null;
    CurrencyUnit currency = CurrencyUnit.fromCode(data.path("currency").asString("")).orElse(null);
    if (currency != null && data.path("amount").isNumber()) {
      try {
        amount = new Money(data.path("amount").decimalValue().movePointRight(currency.exponent()).longValueExact(), currency);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("amount is not a valid " + currency + " amount");
      }
    }
    return new RailCallback(id, txRef.isEmpty() ? null : txRef, outcomeOf(data), amount, null);
  }

  /** {@code verif-hash} equals the dashboard's secret hash: constant-time, never an HMAC. */
  @Override
  public boolean authentic(byte[] body, Function<String, String> header) {
    String hash = header.apply(HASH_HEADER);
    return hash != null && !secretHash.isEmpty() && MessageDigest.isEqual(
        secretHash.getBytes(StandardCharsets.UTF_8), hash.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public Mono<RefundOutcome> refund(RefundRequest request) {
    // Flutterwave takes no idempotency key on refunds and lists them by date only: our refund id
    // rides in `comments` for reconciliation; a refund re-sent after a lost answer may be refused as
    // exceeding the capture, or, for a partial one, given twice (docs/rails/flutterwave.md).
    return Mono.fromCallable(() -> json.writeValueAsBytes(Map.of("amount", majorUnits(request.amount()),
            "comments", request.refundId())))
        .flatMap(body -> client.post().uri(REFUND_PATH, request.railReference())
            .header(HttpHeaders.AUTHORIZATION, "Bearer " + secretKey)
            .contentType(MediaType.APPLICATION_JSON)
            .accept(MediaType.APPLICATION_JSON)
            .bodyValue(body)
            .exchangeToMono(HttpReply::read)
            .onErrorMap(error -> HttpReply.transportError(NAME + ": refund", error)))
        .map(reply -> {
          JsonNode answer = JsonBodies.object(json, reply.body());
          String status = answer == null ? "" : answer.path("status").asString("");
          if (reply.status() == 200 && "success".equals(status)) {
            return new RefundOutcome.Refunded(NAME, answer.path("data").path("id").asString(request.refundId()));
          }
          if (reply.status() == 401) {
            return new RefundOutcome.NotAttempted(NAME, "secret key refused (HTTP 401)");
          }
          if (reply.status() == 400 && "error".equals(status)) {
            return new RefundOutcome.Refused(NAME, "refund_declined",
                "Flutterwave refused the refund (" + HttpReply.clip(answer.path("message").asString(""), 60) + ").");
          }
          return new RefundOutcome.Unknown(NAME, "refund HTTP " + reply.status());
        });
  }

  @Override
  public String toString() {
    return "FlutterwaveRail[]"; // never the keys
  }
}
