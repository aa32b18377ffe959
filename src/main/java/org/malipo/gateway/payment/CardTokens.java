package org.malipo.gateway.payment;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.KeyedHashes;
import org.malipo.gateway.common.RedisSubscriptions;
import org.malipo.gateway.rail.CardData;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Card tokens ({@code tok_…}, issue 19; docs/adr/0080-card-tokens-in-redis.md): a card entered in
 * an app or the hosted page is exchanged for a token with the publishable key, so the card number
 * never passes through the merchant's server. The card lives only in Redis, encrypted (AES-256-GCM,
 * key derived from {@code malipo.cards.fingerprint-key}, the token id as associated data), for
 * {@value #TTL_MINUTES} minutes; never in PostgreSQL, logs or events (INVARIANTS.md 14).
 *
 * <p>A token is single use: the first payment that uses it binds it to that payment's
 * idempotency key (Redis {@code SET NX}), so a retry of that same payment resolves it again and any
 * other use is {@code 400 token_invalid}, as are unknown and expired tokens and tokens of another
 * merchant or mode.
 */
@Component
public final class CardTokens {

  static final long TTL_MINUTES = 15;
  private static final Duration TTL = Duration.ofMinutes(TTL_MINUTES);
  private static final int NONCE_BYTES = 12;
  private static final int MAX_TOKEN_LENGTH = 64;
  /** Binds the token to the first payment key, or confirms it is bound to this one; 1 = usable. */
  private static final RedisScript<Long> USE = RedisScript.of("""
      local owner = redis.call('GET', KEYS[1])
      if not owner or owner ~= ARGV[1] then return 0 end
      local bound = redis.call('SET', KEYS[2], ARGV[2], 'NX')
      if bound then redis.call('PEXPIRE', KEYS[2], redis.call('PTTL', KEYS[1])) return 1 end
      if redis.call('GET', KEYS[2]) == ARGV[2] then return 1 end
      return 0
      """, Long.class);

  private final ReactiveStringRedisTemplate redis;
  private final RedisSubscriptions subscriptions;
  private final PaymentRequestValidator validator;
  private final KeyedHashes fingerprints;
  private final Clock clock;
  private final String prefix;
  private final SecretKeySpec key;
  private final SecureRandom random = org.malipo.gateway.auth.Drbg.seeded();

  CardTokens(ReactiveStringRedisTemplate redis, RedisSubscriptions subscriptions, PaymentRequestValidator validator,
      KeyedHashes fingerprints, Clock clock, @Value("${malipo.redis.key-prefix:malipo:}") String prefix,
      @Value("${malipo.cards.fingerprint-key}") String fingerprintKey) {
    this.redis = redis;
    this.subscriptions = subscriptions;
    this.validator = validator;
    this.fingerprints = fingerprints;
    this.clock = clock;
    this.prefix = prefix;
    this.key = new SecretKeySpec(derive(fingerprintKey), "AES");
  }

  /**
   * A created token: {@code {id, object: "token", card: {brand, last4, exp_month, exp_year},
   * livemode, expires_at}}.
   */
  public record TokenView(String id, String object, CardView card, boolean livemode, String expiresAt) {}

  /** What a token shows of its card. */
  public record CardView(String brand, String last4, int expMonth, int expYear) {}

  /**
   * Validates a card as {@code POST /v1/payments} does and stores it as a new token.
   *
   * @return the token; errors {@code 400 parameter_missing|parameter_invalid} with {@code param}
   *     {@code card.*}, or a Redis error (the handler answers 503)
   */
  public Mono<TokenView> create(String merchantId, boolean livemode, String number, Integer expMonth, Integer expYear,
      String cvc) {
    CardData card;
    try {
      card = validator.card(new CreatePaymentRequest.PaymentMethodRequest("card", number, expMonth, expYear, cvc, null,
          null));
    } catch (ApiProblem problem) {
      String param = problem.param() == null ? null : problem.param().replace("payment_method.", "card.");
      throw param == null ? problem : ApiProblem.param(problem.code(), param, problem.getMessage() == null ? ""
          : problem.getMessage().replace("payment_method.", "card."));
    }
    String id = Ids.next("tok");
    Instant expiresAt = clock.instant().plus(TTL).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    String owner = merchantId + ":" + livemode;
    CardData stored = card;
    // The nonce comes from a DRBG seeded at start-up: pure CPU, fine on the event loop.
    return Mono.fromCallable(() -> seal(id, stored))
        .flatMap(sealed -> subscriptions.mono(redis.opsForValue().set(cardKey(id), sealed, TTL))
            .then(subscriptions.mono(redis.opsForValue().set(ownerKey(id), owner, TTL))))
        .thenReturn(new TokenView(id, "token", new CardView(CardBrands.of(card.number()), card.last4(), card.expMonth(),
            card.expYear()), livemode, expiresAt.toString()));
  }

  /**
   * The card of a token, binding the token to {@code paymentKey} on first use.
   *
   * @param paymentKey the idempotency key of the payment that uses it
   * @return the card; error {@code 400 token_invalid} (param {@code payment_method.token}) when
   *     unknown, expired, of another merchant or mode, or used by another payment
   */
  public Mono<CardData> use(String merchantId, boolean livemode, String tokenId, String paymentKey) {
    if (tokenId == null || tokenId.length() > MAX_TOKEN_LENGTH || !tokenId.startsWith("tok_")) {
      return Mono.error(invalid());
    }
    return subscriptions.flux(redis.execute(USE, List.of(ownerKey(tokenId), useKey(tokenId)),
            List.of(merchantId + ":" + livemode, merchantId + ":" + paymentKey)))
        .next()
        .flatMap(usable -> usable == 1L ? subscriptions.mono(redis.opsForValue().get(cardKey(tokenId))) : Mono.empty())
        .map(sealed -> open(tokenId, sealed))
        .switchIfEmpty(Mono.error(CardTokens::invalid));
  }

  /**
   * Keeps a payment's card while its customer authenticates (3-D Secure,
   * docs/adr/0083-three-d-secure.md), sealed as a token's card is, under the payment id, for at
   * most {@code ttl} (the authentication timeout, at most 10 minutes); never in PostgreSQL.
   *
   * @return completes when stored; a Redis error otherwise
   */
  Mono<Void> holdForAuthentication(String paymentId, CardData card, Duration ttl) {
    Duration bounded = ttl.compareTo(Duration.ofMinutes(10)) > 0 ? Duration.ofMinutes(10) : ttl;
    return Mono.fromCallable(() -> seal(paymentId, card))
        .flatMap(sealed -> subscriptions.mono(redis.opsForValue().set(heldKey(paymentId), sealed, bounded)))
        .then();
  }

  /**
   * The card held for a payment's authentication ({@link #holdForAuthentication}).
   *
   * @return the card, or empty when it expired or was never held
   */
  public Mono<CardData> heldForAuthentication(String paymentId) {
    return subscriptions.mono(redis.opsForValue().get(heldKey(paymentId)))
        .map(sealed -> open(paymentId, sealed));
  }

  /** Forgets the card held for a payment's authentication; completes also when there was none. */
  Mono<Void> releaseHeld(String paymentId) {
    return subscriptions.mono(redis.delete(heldKey(paymentId))).then();
  }

  private String heldKey(String paymentId) {
    return prefix + "3ds:{" + paymentId + "}:card";
  }

  static ApiProblem invalid() {
    return ApiProblem.param(ProblemCode.TOKEN_INVALID, "payment_method.token",
        "The card token is unknown, expired or already used; tokenize the card again.");
  }

  private String cardKey(String id) {
    return prefix + "token:{" + id + "}:card";
  }

  private String ownerKey(String id) {
    return prefix + "token:{" + id + "}:owner";
  }

  private String useKey(String id) {
    return prefix + "token:{" + id + "}:use";
  }

  private String seal(String id, CardData card) throws GeneralSecurityException {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
    cipher.updateAAD(id.getBytes(StandardCharsets.UTF_8));
    String plain = card.number() + "|" + card.expMonth() + "|" + card.expYear() + "|" + card.cvc();
    byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
    return Base64.getEncoder().encodeToString(ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array());
  }

  private CardData open(String id, String sealed) {
    try {
      byte[] bytes = Base64.getDecoder().decode(sealed);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, bytes, 0, NONCE_BYTES));
      cipher.updateAAD(id.getBytes(StandardCharsets.UTF_8));
      String[] parts = new String(cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES), StandardCharsets.UTF_8)
          .split("\\|");
      return new CardData(parts[0], Integer.parseInt(parts[1]), Integer.parseInt(parts[2]), parts[3]);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw invalid();
    }
  }

  /** A separate AES key from the fingerprint key (HMAC-SHA256 as a KDF with its own label). */
  private static byte[] derive(String fingerprintKey) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(fingerprintKey.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal("malipo card token encryption v1".getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has HmacSHA256", e);
    }
  }

  /**
   * A {@code POST /v1/payments} body whose {@code payment_method} is {@code {type: "card", token}}
   * with the token replaced by its card ({@code number, exp_month, exp_year, cvc}), in memory only;
   * any other body as it is.
   *
   * @return the body to validate; errors {@code 400 token_invalid}, or {@code 400
   *     parameter_invalid} for a token sent together with card fields
   */
  Mono<JsonNode> resolveIn(JsonNode tree, String merchantId, boolean livemode, String paymentKey) {
    JsonNode method = tree.path("payment_method");
    if (!(method instanceof ObjectNode card) || !card.has("token") || !"card".equals(card.path("type").asString(null))) {
      return Mono.just(tree);
    }
    for (String field : List.of("number", "exp_month", "exp_year", "cvc")) {
      if (card.has(field)) {
        return Mono.error(ApiProblem.param(ProblemCode.PARAMETER_INVALID, "payment_method." + field,
            "Send either a card token or the card's fields, not both."));
      }
    }
    JsonNode token = card.get("token");
    if (!token.isString()) {
      return Mono.error(invalid());
    }
    return use(merchantId, livemode, token.asString(), paymentKey).map(data -> {
      ObjectNode resolved = card.deepCopy();
      resolved.remove("token");
      resolved.put("number", data.number());
      resolved.put("exp_month", data.expMonth());
      resolved.put("exp_year", data.expYear());
      resolved.put("cvc", data.cvc());
      ObjectNode body = ((ObjectNode) tree).deepCopy();
      body.set("payment_method", resolved);
      return body;
    });
  }
}
