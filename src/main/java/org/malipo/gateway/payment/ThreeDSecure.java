package org.malipo.gateway.payment;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.RedisSubscriptions;
import org.malipo.gateway.common.TraceScope;
import org.malipo.gateway.rail.CardData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * 3-D Secure after the {@code requires_action} answer (issue 20, docs/adr/0083-three-d-secure.md).
 *
 * <p>The access control server's result comes back through the customer's browser as a compact
 * JWS (RFC 7515, HS256 with a key derived from {@code malipo.cards.fingerprint-key}) whose claims
 * are {@code sub} (the payment id), {@code result} ({@code authenticated} or {@code failed}),
 * {@code exp} (at most {@value #RESULT_TTL_SECONDS} s after signing) and {@code jti}. A result
 * with a bad signature, another algorithm, past its expiry, or whose {@code jti} was seen before
 * is {@code 400 authentication_result_invalid} and writes nothing. An accepted result moves the
 * payment on once, guarded by its status: a second result for a payment no longer {@code
 * requires_action} changes nothing.
 */
@Component
public final class ThreeDSecure {

  /** How long a signed result stays acceptable, seconds. */
  static final long RESULT_TTL_SECONDS = 300;
  private static final Logger log = LoggerFactory.getLogger(ThreeDSecure.class);
  private static final String AUTHENTICATED = "authenticated";
  private static final String FAILED = "failed";

  private final PaymentRepository payments;
  private final PaymentPipeline pipeline;
  private final CardTokens cards;
  private final DetachedPayments detached;
  private final ReactiveStringRedisTemplate redis;
  private final RedisSubscriptions subscriptions;
  private final Clock clock;
  private final String prefix;
  private final Duration timeout;
  private final byte[] key;
  /** Null when tracing is off: results and timeouts are then applied without a span. */
  private final Tracer tracer;

  ThreeDSecure(PaymentRepository payments, PaymentPipeline pipeline, CardTokens cards, DetachedPayments detached,
      ReactiveStringRedisTemplate redis, RedisSubscriptions subscriptions, Clock clock,
      @Value("${malipo.redis.key-prefix:malipo:}") String prefix,
      @Value("${malipo.payments.authentication-timeout:10m}") Duration timeout,
      @Value("${malipo.cards.fingerprint-key}") String fingerprintKey, ObjectProvider<Tracer> tracer) {
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException("malipo.payments.authentication-timeout must be more than 0 and at most 10m: "
          + timeout);
    }
    this.payments = payments;
    this.pipeline = pipeline;
    this.cards = cards;
    this.detached = detached;
    this.redis = redis;
    this.subscriptions = subscriptions;
    this.clock = clock;
    this.prefix = prefix;
    this.timeout = timeout;
    this.key = derive(fingerprintKey);
    this.tracer = TraceScope.active(tracer.getIfAvailable());
  }

  /** The access control server's page for a payment: the {@code next_action} URL (a path on the gateway's origin). */
  public static String challengeUrl(String paymentId) {
    return "/sandbox/acs/" + paymentId;
  }

  /** The gateway's result page, the {@code return_url} when the merchant gave none. */
  static String resultPage(String paymentId) {
    return "/three_d_secure/" + paymentId + "/result";
  }

  /** Where the access control server sends the browser with its signed result ({@code ?result=<JWS>}). */
  public static String callbackPath() {
    return "/three_d_secure/callback";
  }

  /**
   * Signs an access control server's result (the sandbox ACS's side of the exchange).
   *
   * @param paymentId {@code pay_…}
   * @param authenticated whether the customer passed
   * @return the compact JWS
   */
  public String signResult(String paymentId, boolean authenticated) {
    Instant now = clock.instant();
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .subject(paymentId)
        .claim("result", authenticated ? AUTHENTICATED : FAILED)
        .expirationTime(Date.from(now.plusSeconds(RESULT_TTL_SECONDS)))
        .jwtID(Ids.next("3ds"))
        .build();
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
      jwt.sign(new MACSigner(key));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException("HS256 with a 256-bit key", e);
    }
  }

  /**
   * The card a payment authenticates with, as the access control server sees it (the issuer's
   * rule looks at the number); empty when none is held (unknown payment, or past the timeout) or
   * the payment is not {@code requires_action} (a card sealed by an instance that died before the
   * {@code requires_action} write, or not yet released after the payment moved on, is never shown).
   */
  public Mono<CardData> cardUnderAuthentication(String paymentId) {
    return payments.findById(paymentId)
        .filter(payment -> payment.status() == PaymentStatus.REQUIRES_ACTION)
        .flatMap(payment -> cards.heldForAuthentication(paymentId))
        .onErrorResume(error -> Mono.empty());
  }

  /**
   * Deletes the card sealed for a payment's authentication, if any (best effort: its TTL, at most
   * {@code malipo.payments.authentication-timeout}, bounds it anyway). For the reconciler, when it
   * fails a payment left {@code processing} without an attempt: an instance may have died between
   * sealing the card and the {@code requires_action} write.
   */
  public Mono<Void> forgetSealedCard(String paymentId) {
    return cards.releaseHeld(paymentId).onErrorResume(error -> Mono.empty());
  }

  /** A verified result: the payment, whether its customer passed, the result's id and expiry. */
  record Result(String paymentId, boolean authenticated, String id, Instant expiresAt) {}

  /**
   * Verifies a signed result, applies it once and answers the payment as it then stands. The work
   * runs detached from the browser's request: a hang-up does not stop an authorization started.
   *
   * @param token the compact JWS from the access control server
   * @return the payment after the result; error {@code 400 authentication_result_invalid} for a
   *     forged, expired or replayed result (nothing written), {@code 404 not_found} for an unknown
   *     payment
   */
  Mono<Payment> accept(String token) {
    return Mono.fromCallable(() -> verify(token))
        // Detached from the first write on (the result's id taken): a hang-up cannot consume a
        // result without applying it.
        .flatMap(result -> detached.run(firstUse(result).then(Mono.defer(() -> apply(result))),
                Duration.ofSeconds(30), payments.findById(result.paymentId()))
            // Taken but not finished (database away, say): the payment is where the writes left it
            // (still requires_action, or processing with its attempt for the reconciler), and the
            // browser goes back to the merchant, who reads the payment or waits for its event.
            .onErrorResume(error -> !(error instanceof ApiProblem), error -> {
              log.warn("payment {}: 3-D Secure result taken but not finished: {}", result.paymentId(), error.toString());
              return payments.findById(result.paymentId());
            }));
  }

  private Result verify(String token) {
    try {
      SignedJWT jwt = SignedJWT.parse(token == null ? "" : token);
      if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(new MACVerifier(key))) {
        throw invalid("The authentication result's signature is not valid.");
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      Object result = claims.getClaim("result");
      if (claims.getSubject() == null || claims.getJWTID() == null || claims.getExpirationTime() == null
          || !(AUTHENTICATED.equals(result) || FAILED.equals(result))) {
        throw invalid("The authentication result lacks its payment, result, expiry or id.");
      }
      if (!claims.getExpirationTime().toInstant().isAfter(clock.instant())) {
        throw invalid("The authentication result has expired.");
      }
      return new Result(claims.getSubject(), AUTHENTICATED.equals(result), claims.getJWTID(),
          claims.getExpirationTime().toInstant());
    } catch (ParseException | JOSEException e) {
      throw invalid("The authentication result is not a signed result.");
    }
  }

  /** A result is accepted once: its {@code jti} is remembered (Redis SET NX) until it expires. */
  private Mono<Void> firstUse(Result result) {
    Duration left = Duration.between(clock.instant(), result.expiresAt()).plusSeconds(1);
    return subscriptions.mono(redis.opsForValue().setIfAbsent(prefix + "3ds:result:" + result.id(), result.paymentId(), left))
        .flatMap(first -> Boolean.TRUE.equals(first) ? Mono.<Void>empty()
            : Mono.error(invalid("This authentication result was already used.")));
  }

  private Mono<Payment> apply(Result result) {
    return payments.findById(result.paymentId())
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such payment: " + result.paymentId())))
        .flatMap(payment -> {
          if (payment.status() != PaymentStatus.REQUIRES_ACTION) {
            // A duplicate or late result: the payment already moved on (another result, cancel,
            // timeout, or never reached requires_action); a card still sealed for it is forgotten.
            return forgetSealedCard(payment.id()).thenReturn(payment);
          }
          return inPaymentTrace(payment.id(), "three_d_secure.result", Span.Kind.CONSUMER,
              span -> span.tag("malipo.payment", payment.id())
                  .tag("malipo.authentication", result.authenticated() ? AUTHENTICATED : FAILED),
              () -> move(result, payment));
        });
  }

  /** The payment after its result: authorized (or failed by the rails), or failed; the card released. */
  private Mono<Payment> move(Result result, Payment payment) {
    // Built where the span's traceparent is current (after a read too): the events record it.
    Mono<Payment> moved = !result.authenticated()
        ? pipeline.failAuthentication(payment, Payment.Failure.AUTHENTICATION_FAILED)
        : cards.heldForAuthentication(payment.id())
            .flatMap(card -> TraceScope.deferInTrace(() -> pipeline.authorizeAuthenticated(payment, card)))
            // The card is gone (past the timeout): nothing can be authorized.
            .switchIfEmpty(TraceScope.deferInTrace(() -> pipeline.failAuthentication(payment, Payment.Failure.AUTHENTICATION_TIMEOUT)));
    return moved
        .onErrorResume(IllegalStateException.class, lost -> payments.findById(payment.id()))
        .flatMap(after -> cards.releaseHeld(payment.id()).onErrorResume(error -> Mono.empty()).thenReturn(after));
  }

  /**
   * {@code work} in a span {@code name} whose parent is the span that recorded the payment
   * ({@link TraceScope#joined}, docs/adr/0089): its rail call, statements, events and their
   * webhooks join the payment's trace. With tracing off the payment's traceparent is not even
   * read; an untraced payment's work runs as it is.
   */
  private Mono<Payment> inPaymentTrace(String paymentId, String name, Span.Kind kind,
      Consumer<Span> attributes, Supplier<Mono<Payment>> work) {
    if (tracer == null) {
      return Mono.defer(work);
    }
    return payments.traceparent(paymentId)
        .map(Optional::of)
        .defaultIfEmpty(Optional.empty())
        .flatMap(traceparent -> TraceScope.joined(tracer, traceparent.orElse(null), name, kind, attributes, work));
  }

  /**
   * Fails the payments whose customer did not authenticate within {@code
   * malipo.payments.authentication-timeout} ({@code authentication_timeout}), for the reconciler.
   *
   * @param batch at most this many per pass
   * @return how many were failed
   */
  public Mono<Long> expireAuthentications(int batch) {
    Instant cutoff = clock.instant().minus(timeout);
    return payments.awaitingAuthenticationSince(cutoff, batch)
        // Each in its payment's trace (a reconciler.resolve span), like the reconciler's other resolutions.
        .concatMap(id -> inPaymentTrace(id, "reconciler.resolve", null, // internal
                span -> span.tag("malipo.payment", id).tag("malipo.reconciler.case", "requires_action"),
                () -> payments.findById(id)
                    .filter(payment -> payment.status() == PaymentStatus.REQUIRES_ACTION)
                    .flatMap(payment -> TraceScope.deferInTrace(
                        () -> pipeline.failAuthentication(payment, Payment.Failure.AUTHENTICATION_TIMEOUT)))
                    .flatMap(failed -> cards.releaseHeld(failed.id()).onErrorResume(error -> Mono.empty()).thenReturn(failed))
                    .doOnNext(failed -> log.info("payment {}: 3-D Secure not completed within {}; failed", id, timeout)))
            .onErrorResume(IllegalStateException.class, moved -> Mono.empty()))
        .count();
  }

  private static ApiProblem invalid(String detail) {
    return ApiProblem.of(ProblemCode.AUTHENTICATION_RESULT_INVALID, detail);
  }

  /** The HS256 key: HMAC-SHA256 of its own label under the fingerprint key (256 bits). */
  private static byte[] derive(String fingerprintKey) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(fingerprintKey.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal("malipo 3-D Secure result v1".getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has HmacSHA256", e);
    }
  }
}
