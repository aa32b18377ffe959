package org.malipo.gateway.rail.paystack;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import javax.crypto.Mac;
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
 * Paystack in its wire format (rails.md §4).
 *
 * <ul>
 *   <li>Auth: {@code Authorization: Bearer sk_…} on every call; no token to refresh, so a 401 is a
 *       configuration error: {@link RailException#notCharged}.
 *   <li>Charge: {@code POST /charge} with {@code amount} an integer of subunits (kobo, pesewas: our
 *       minor units), {@code reference} = our attempt id (Paystack refuses a reused reference, so a
 *       retried attempt never charges twice), and {@code card} or {@code mobile_money} ({@code
 *       phone} in the Ghanaian national form {@code 0…}, {@code provider} {@code mtn}, {@code vod}
 *       (Telecel) or {@code atl} (AirtelTigo), rails.md §4.1 [U] for the last two). {@code
 *       data.status} {@code success} → approved; {@code failed} → declined; {@code pending},
 *       {@code pay_offline}, {@code send_otp}, {@code send_pin}, {@code open_url} … → pending,
 *       settled by the webhook or verify; a 400 with {@code status:false} refuses the charge
 *       before it exists → {@link RailException#notCharged}; anything else → unknown.
 *   <li>Verify: {@code GET /transaction/verify/{reference}}: payment success is {@code
 *       data.status == "success"} only (the top-level {@code status:true} says the call worked).
 *   <li>Webhook: {@code {"event":"charge.success","data":{…}}}, authentic when {@code
 *       x-paystack-signature} is the hex HMAC-SHA512 of the raw body under the secret key; there is
 *       no {@code charge.failed} event: failures come from verify.
 *   <li>Refund: {@code GET /refund?reference=} first (one with our refund id in {@code
 *       merchant_note} is answered as it stands), else {@code POST /refund} with {@code
 *       transaction} = the reference, {@code amount} in subunits and {@code merchant_note} = our
 *       refund id; {@code status:true} (queued or processed) → refunded.
 * </ul>
 */
public final class PaystackRail implements RailAdapter {

  /** The rail name in routing, metrics and the ledger. */
  public static final String NAME = "paystack";

  static final String CHARGE_PATH = "/charge";
  static final String VERIFY_PATH = "/transaction/verify/{reference}";
  static final String REFUND_PATH = "/refund";
  static final String SIGNATURE_HEADER = "x-paystack-signature";

  /** Ghana's wallets: our operator → Paystack's provider code. */
  static final Map<MobileMoneyOperator, String> PROVIDERS = Map.of(
      MobileMoneyOperator.MTN_MOMO, "mtn",
      MobileMoneyOperator.TELECEL, "vod",
      MobileMoneyOperator.AIRTELTIGO, "atl");

  private final WebClient client;
  private final String secretKey;
  private final JsonMapper json = JsonMapper.builder().build();

  /**
   * @param client a client whose base URL is the Paystack API host
   * @param secretKey {@code sk_test_…}/{@code sk_live_…}: the API bearer and the webhook HMAC key
   */
  public PaystackRail(WebClient client, String secretKey) {
    this.client = client;
    this.secretKey = secretKey;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PaymentMethodType methodType() {
    return PaymentMethodType.CARD;
  }

  @Override
  public Set<PaymentMethodType> methodTypes() {
    return EnumSet.of(PaymentMethodType.CARD, PaymentMethodType.MOBILE_MONEY);
  }

  @Override
  public Set<CurrencyUnit> currencies() {
    return Set.of(CurrencyUnit.NGN, CurrencyUnit.GHS);
  }

  @Override
  public Optional<MobileMoneyOperator> operator() {
    return Optional.empty();
  }

  @Override
  public Set<MobileMoneyOperator> operators() {
    return PROVIDERS.keySet();
  }

  /** Cards, and Ghanaian wallets of MTN, Telecel and AirtelTigo. */
  @Override
  public boolean serves(PaymentInstrument instrument, CurrencyUnit currency) {
    return switch (instrument) {
      case CardData card -> true;
      case MobileMoneyPayer payer -> PROVIDERS.containsKey(payer.operator()) && payer.msisdn().startsWith("+233");
      default -> false;
    };
  }

  @Override
  public Mono<RailOutcome> authorize(RailRequest request) {
    Money amount = request.amount();
    if (!currencies().contains(amount.currency()) || !serves(request.instrument(), amount.currency())) {
      return Mono.error(RailException.notCharged(NAME + " does not serve this instrument or currency"));
    }
    return Mono.fromCallable(() -> json.writeValueAsBytes(chargeBody(request)))
        .flatMap(body -> client.post().uri(CHARGE_PATH)
            .header(HttpHeaders.AUTHORIZATION, "Bearer " + secretKey)
            .contentType(MediaType.APPLICATION_JSON)
            .accept(MediaType.APPLICATION_JSON)
            .bodyValue(body)
            .exchangeToMono(HttpReply::read)
            .onErrorMap(error -> HttpReply.transportError(NAME + ": charge", error)))
        .map(reply -> chargeOutcome(request.attemptId(), reply));
  }

  /** The charge body; card data only in this map, never logged (the map is not kept). */
  private Map<String, Object> chargeBody(RailRequest request) {
    Map<String, Object> body = new LinkedHashMap<>();
    // Paystack requires a customer e-mail; the gateway has none, so one per payment, never delivered.
    body.put("email", request.paymentId() + "@customers.malipo.invalid");
    body.put("amount", request.amount().amountMinor());
    body.put("currency", request.amount().currency().code());
    body.put("reference", request.attemptId());
    body.put("metadata", Map.of("payment_id", request.paymentId()));
    switch (request.instrument()) {
      case CardData card -> body.put("card", Map.of("number", card.number(), "cvv", card.cvc(),
          "expiry_month", String.format(Locale.ROOT, "%02d", card.expMonth()),
          "expiry_year", Integer.toString(card.expYear())));
      case MobileMoneyPayer payer -> body.put("mobile_money", Map.of(
          "phone", "0" + payer.msisdn().substring(4), "provider", PROVIDERS.get(payer.operator())));
      default -> throw new IllegalStateException("unsupported instrument");
    }
    return body;
  }

  private RailOutcome chargeOutcome(String reference, HttpReply reply) {
    JsonNode answer = JsonBodies.object(json, reply.body());
    if (reply.status() == 401) {
      throw RailException.notCharged(NAME + " refused the secret key (HTTP 401)");
    }
    if (reply.status() == 400 && answer != null && answer.path("status").isBoolean()
        && !answer.path("status").asBoolean() && !answer.path("data").isObject()
        // "Duplicate Transaction Reference": a charge under this reference exists; verify tells.
        && !answer.path("message").asString("").toLowerCase(Locale.ROOT).contains("duplicate")) {
      // Paystack's own refusal envelope without a transaction: the charge was never created.
      throw RailException.notCharged(NAME + " refused the charge: " + HttpReply.clip(answer.path("message").asString(""), 60));
    }
    JsonNode data = answer == null ? null : answer.path("data");
    if (reply.status() != 200 || data == null || !data.isObject()) {
      return new RailOutcome.Unknown(NAME, "charge HTTP " + reply.status());
    }
    return outcomeOf(reference, data);
  }

  private RailOutcome outcomeOf(String reference, JsonNode data) {
    String status = data.path("status").asString("");
    return switch (status) {
      case "success" -> new RailOutcome.Approved(NAME, reference, data.path("id").asString("success"));
      case "failed", "reversed" -> declined(reference, data);
      case "abandoned" -> new RailOutcome.Declined(NAME, reference, status, "timeout",
          "The customer did not complete the payment in time.");
      case "pending", "ongoing", "processing", "queued", "pay_offline", "send_otp", "send_pin", "send_phone",
           "send_birthday", "send_address", "open_url" -> new RailOutcome.Pending(NAME, reference);
      default -> new RailOutcome.Unknown(NAME, "status " + HttpReply.clip(status, 20));
    };
  }

  /** A failure with our code, from {@code channel} and {@code gateway_response}. */
  static RailOutcome.Declined declined(String reference, JsonNode data) {
    String response = data.path("gateway_response").asString("");
    String lower = response.toLowerCase(Locale.ROOT);
    boolean card = !"mobile_money".equals(data.path("channel").asString(""));
    String failureCode;
    if (lower.contains("insufficient")) {
      failureCode = "insufficient_funds";
    } else if (lower.contains("expired card")) {
      failureCode = "expired_card";
    } else if (!card && (lower.contains("cancel") || lower.contains("declined by") || lower.contains("rejected"))) {
      failureCode = "customer_cancelled";
    } else if (lower.contains("timeout") || lower.contains("timed out")) {
      failureCode = "timeout";
    } else {
      failureCode = card ? "card_declined" : "provider_declined";
    }
    String message = switch (failureCode) {
      case "customer_cancelled" -> "The customer cancelled the payment on the phone.";
      case "insufficient_funds" -> "The balance is too low.";
      case "card_declined" -> "The card was declined.";
      case "timeout" -> "The customer did not approve the payment in time.";
      default -> "Paystack declined the payment.";
    };
    return new RailOutcome.Declined(NAME, reference, HttpReply.clip(response.isEmpty() ? "failed" : response, 40), failureCode,
        message);
  }

  @Override
  public Mono<RailOutcome> queryStatus(String reference) {
    return client.get().uri(VERIFY_PATH, reference)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + secretKey)
        .accept(MediaType.APPLICATION_JSON)
        .exchangeToMono(HttpReply::read)
        .map(reply -> {
          JsonNode answer = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
          JsonNode data = answer == null ? null : answer.path("data");
          return data == null || !data.isObject() ? new RailOutcome.Unknown(NAME, "verify HTTP " + reply.status())
              : outcomeOf(reference, data);
        });
  }

  /**
   * Reads a {@code charge.success} event (rails.md §4.2); the amount is in subunits, our minor
   * units. Other events are not payment results here.
   *
   * @throws IllegalArgumentException for any other body
   */
  @Override
  public RailCallback readCallback(byte[] body, String referenceHint) {
    JsonNode event;
    try {
      event = json.readTree(body);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not JSON");
    }
    JsonNode data = event == null ? null : event.path("data");
    String reference = data == null ? "" : data.path("reference").asString("");
    if (!"charge.success".equals(event == null ? "" : event.path("event").asString("")) || reference.isEmpty()) {
      throw new IllegalArgumentException("not a charge.success event with a reference");
    }
    Money amount = null;
    CurrencyUnit currency = CurrencyUnit.fromCode(data.path("currency").asString("")).orElse(null);
    if (currency != null && data.path("amount").canConvertToExactIntegral()) {
      amount = new Money(data.path("amount").asLong(), currency);
    }
    return new RailCallback(reference, reference, outcomeOf(reference, data), amount, null);
  }

  /** {@code x-paystack-signature} = hex HMAC-SHA512(secret key, raw body), compared in constant time. */
  @Override
  public boolean authentic(byte[] body, Function<String, String> header) {
    String signature = header.apply(SIGNATURE_HEADER);
    if (signature == null || signature.isBlank()) {
      return false;
    }
    byte[] expected = HexFormat.of().formatHex(hmacSha512(secretKey, body)).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, signature.strip().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
  }

  /** HMAC-SHA512 (RFC 2104, javax.crypto) of {@code body} under {@code key}. */
  public static byte[] hmacSha512(String key, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA512");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA512"));
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA512 unavailable", e);
    }
  }

  /**
   * Refunds under our refund id, made idempotent here: Paystack takes no idempotency key on refunds,
   * so the refunds of the transaction are listed first ({@code GET /refund?reference=}, [U]) and one
   * carrying our id in {@code merchant_note} is answered as it stands; only when none exists is a
   * refund created. A failed look-up sends nothing ({@link RefundOutcome.Unknown}: the refund stays
   * pending and is asked again), so a refund re-sent after a lost answer is never given twice.
   */
  @Override
  public Mono<RefundOutcome> refund(RefundRequest request) {
    return client.get().uri(uri -> uri.path(REFUND_PATH).queryParam("reference", request.railReference()).build())
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + secretKey)
        .accept(MediaType.APPLICATION_JSON)
        .exchangeToMono(HttpReply::read)
        .onErrorMap(error -> HttpReply.transportError(NAME + ": refund look-up", error))
        .flatMap(reply -> {
          JsonNode answer = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
          if (answer == null || !answer.path("data").isArray()) {
            return Mono.<RefundOutcome>just(new RefundOutcome.Unknown(NAME, "refund look-up HTTP " + reply.status()));
          }
          for (JsonNode existing : answer.path("data")) {
            if (request.refundId().equals(existing.path("merchant_note").asString(""))) {
              return Mono.just(existingRefund(existing));
            }
          }
          return createRefund(request);
        });
  }

  private static RefundOutcome existingRefund(JsonNode refund) {
    return switch (refund.path("status").asString("")) {
      case "failed" -> new RefundOutcome.Refused(NAME, "refund_declined", "Paystack could not process the refund.");
      default -> new RefundOutcome.Refunded(NAME, refund.path("id").asString(""));
    };
  }

  private Mono<RefundOutcome> createRefund(RefundRequest request) {
    return Mono.fromCallable(() -> json.writeValueAsBytes(Map.of("transaction", request.railReference(),
            "amount", request.amount().amountMinor(), "merchant_note", request.refundId())))
        .flatMap(body -> client.post().uri(REFUND_PATH)
            .header(HttpHeaders.AUTHORIZATION, "Bearer " + secretKey)
            .contentType(MediaType.APPLICATION_JSON)
            .accept(MediaType.APPLICATION_JSON)
            .bodyValue(body)
            .exchangeToMono(HttpReply::read)
            .onErrorMap(error -> HttpReply.transportError(NAME + ": refund", error)))
        .map(reply -> {
          JsonNode answer = JsonBodies.object(json, reply.body());
          boolean ok = answer != null && answer.path("status").asBoolean(false);
          if (reply.status() == 200 && ok) {
            JsonNode data = answer.path("data");
            return new RefundOutcome.Refunded(NAME, data.path("id").asString(request.refundId()));
          }
          if (reply.status() == 401) {
            return new RefundOutcome.NotAttempted(NAME, "secret key refused (HTTP 401)");
          }
          if (reply.status() == 400 && answer != null && answer.path("status").isBoolean()) {
            return new RefundOutcome.Refused(NAME, "refund_declined",
                "Paystack refused the refund (" + HttpReply.clip(answer.path("message").asString(""), 60) + ").");
          }
          return new RefundOutcome.Unknown(NAME, "refund HTTP " + reply.status());
        });
  }

  @Override
  public String toString() {
    return "PaystackRail[]"; // never the secret key
  }
}
