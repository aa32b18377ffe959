package org.malipo.gateway.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.common.RedisSubscriptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Server-side console sessions in Redis: key {@code <prefix>console-session:<sha256(session id)>}
 * (the id itself, 256 random bits, lives only in the browser's HttpOnly cookie), value the
 * {@link ConsoleSession}, time to live the idle timeout ({@code malipo.console.idle-timeout},
 * default 15 min), renewed on every authenticated request. Logout deletes the key. Every Redis
 * call is bounded by {@link #TIMEOUT} and subscribed through {@link RedisSubscriptions} (never
 * opening Spring's shared connection on an event loop); Redis down means no console login and no console request
 * (fail closed): {@code 503 service_unavailable} with {@code Retry-After}, the session kept for when
 * Redis is back.
 */
@Component
class ConsoleSessions {

  static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Logger log = LoggerFactory.getLogger(ConsoleSessions.class);
  /** Seeded once at start-up: nextBytes never reads /dev/random on an event loop (auth.Drbg). */
  private static final SecureRandom RANDOM = org.malipo.gateway.auth.Drbg.seeded();

  private final ReactiveStringRedisTemplate redis;
  private final RedisSubscriptions subscriptions;
  private final String prefix;
  private final Duration idleTimeout;

  ConsoleSessions(ReactiveStringRedisTemplate redis, RedisSubscriptions subscriptions, @Value("${malipo.redis.key-prefix:malipo:}") String prefix,
      @Value("${malipo.console.idle-timeout:15m}") Duration idleTimeout) {
    this.redis = redis;
    this.subscriptions = subscriptions;
    this.prefix = prefix + "console-session:";
    this.idleTimeout = idleTimeout;
  }

  /** The idle timeout: a session unused this long is gone. */
  Duration idleTimeout() {
    return idleTimeout;
  }

  /** A fresh random token, 256 bits, base64url without padding. */
  static String randomToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * Stores a session.
   *
   * @return the session id for the cookie
   */
  Mono<String> create(ConsoleSession session) {
    String id = randomToken();
    return subscriptions.mono(redis.opsForValue().set(key(id), session.encode(), idleTimeout)).timeout(TIMEOUT)
        .onErrorMap(ConsoleSessions::unavailable).thenReturn(id);
  }

  /** The session of this id, its idle timeout renewed; empty if unknown or expired. */
  Mono<ConsoleSession> touch(String id) {
    String key = key(id);
    return subscriptions.mono(redis.opsForValue().getAndExpire(key, idleTimeout)).timeout(TIMEOUT)
        .onErrorMap(ConsoleSessions::unavailable).map(ConsoleSession::decode);
  }

  /** Ends a session; completes whether or not it existed. */
  Mono<Void> delete(String id) {
    return subscriptions.mono(redis.delete(key(id))).timeout(TIMEOUT).onErrorMap(ConsoleSessions::unavailable).then();
  }

  /** Redis failed or did not answer within {@link #TIMEOUT}: the session store is unavailable. */
  private static ApiProblem unavailable(Throwable cause) {
    log.warn("console session store unavailable: {}", cause.toString());
    return ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE,
            "The console's session store is unavailable; retry shortly.")
        .withHeaders(Map.of("Retry-After", "5"));
  }

  /** The Redis key of a session id (package-private for the idle-timeout test). */
  String key(String id) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      return prefix + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
