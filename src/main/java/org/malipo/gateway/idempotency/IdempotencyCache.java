package org.malipo.gateway.idempotency;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.idempotency.IdempotencyStore.Claim;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.malipo.gateway.common.RedisSubscriptions;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Redis fast path of idempotency: completed answers cached under
 * {@code <prefix>idem:<merchant>:<key>} for {@value IdempotencyStore#RETENTION_HOURS} h, so a
 * retried request is answered without touching PostgreSQL.
 *
 * <p>Only ever a shortcut: an answer is cached after its transaction committed, a miss or any
 * Redis failure falls through to {@link IdempotencyStore#claim}, whose unique key in PostgreSQL is
 * the guard. Losing Redis (restart, eviction, FLUSHALL) can never allow a second charge.
 */
@Component
public final class IdempotencyCache {

  private static final Logger log = LoggerFactory.getLogger(IdempotencyCache.class);
  private static final Duration TIMEOUT = Duration.ofMillis(150);

  private final ReactiveStringRedisTemplate redis;
  private final RedisSubscriptions subscriptions;
  private final JsonMapper json;
  private final String prefix;
  private final Counter hits;
  private final Counter failures;

  IdempotencyCache(ReactiveStringRedisTemplate redis, RedisSubscriptions subscriptions, JsonMapper json,
      @Value("${malipo.redis.key-prefix:malipo:}") String prefix, MeterRegistry meters) {
    this.redis = redis;
    this.subscriptions = subscriptions;
    this.json = json;
    this.prefix = prefix;
    this.hits = meters.counter("malipo.idempotency.replays", "source", "redis");
    this.failures = meters.counter("malipo.idempotency.cache.failures");
  }

  /** What is cached: the request fingerprint and the first answer. */
  record Entry(String fingerprint, int status, String body) {}

  /**
   * The cached answer for this key, if any.
   *
   * @return the replay; empty on a miss or when Redis does not answer in 150 ms; error {@code 422
   *     idempotency_key_reused} when the key was used with a different request
   */
  public Mono<Claim.Replay> replay(String merchantId, String key, String fingerprint) {
    return subscriptions.mono(redis.opsForValue().get(redisKey(merchantId, key)))
        .timeout(TIMEOUT)
        .map(text -> json.readValue(text, Entry.class))
        .onErrorResume(error -> {
          failures.increment();
          log.debug("idempotency cache unavailable, PostgreSQL decides: {}", error.toString());
          return Mono.empty();
        })
        .map(entry -> {
          if (!entry.fingerprint().equals(fingerprint)) {
            throw ApiProblem.of(ProblemCode.IDEMPOTENCY_KEY_REUSED,
                "This Idempotency-Key was used with a different request; use a new key for a new request.");
          }
          hits.increment();
          return new Claim.Replay(entry.status(), entry.body());
        });
  }

  /**
   * Caches a committed answer. Never fails: a cache that could not be written is only a miss later.
   */
  public Mono<Void> remember(String merchantId, String key, String fingerprint, int status, String body) {
    String value = json.writeValueAsString(new Entry(fingerprint, status, body));
    return subscriptions.mono(redis.opsForValue().set(redisKey(merchantId, key), value,
            Duration.ofHours(IdempotencyStore.RETENTION_HOURS)))
        .timeout(TIMEOUT)
        .onErrorResume(error -> {
          failures.increment();
          return Mono.just(false);
        })
        .then();
  }

  private String redisKey(String merchantId, String key) {
    return prefix + "idem:" + merchantId + ":" + key;
  }
}
