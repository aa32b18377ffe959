package org.malipo.gateway.auth;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.malipo.gateway.common.BackgroundJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The deny list of revoked clients, so that their access tokens, which stay cryptographically
 * valid until they expire, are refused within a bounded time on every instance
 * (docs/adr/0053-key-rotation-and-client-revocation.md).
 *
 * <p>Shared copy: Redis sorted set {@code <prefix>revoked-clients}, member the client id, score
 * the epoch milliseconds until which a token of that client may still be valid (revocation time
 * + longest token lifetime + clock skew); the key itself expires that long after the last
 * revocation. Source of truth: {@code api_clients.revoked_at} in PostgreSQL.
 *
 * <p>Local copy: an immutable set swapped every {@code malipo.auth.revocation-refresh} (2 s by
 * default) from Redis, or from PostgreSQL when Redis does not answer; when neither answers the
 * last copy stays. The request path only reads the local copy ({@link #isRevoked}), so it never
 * waits for Redis. The instance that revokes adds the client to its own copy at once.
 */
@Component
public final class ClientRevocations extends BackgroundJob {

  private static final Logger log = LoggerFactory.getLogger(ClientRevocations.class);
  private static final Duration REDIS_TIMEOUT = Duration.ofMillis(500);
  private static final Duration DATABASE_TIMEOUT = Duration.ofSeconds(2);

  private final ReactiveStringRedisTemplate redis;
  private final DatabaseClient db;
  private final Clock clock;
  private final String key;
  private final Duration refreshInterval;
  private final Duration tokenLifetimeMax;
  private final Counter redisFailures;
  private volatile Set<String> revoked = Set.of();
  /** Clients this instance revoked, until when: kept across refreshes that started before Redis had them. */
  private final Map<String, Instant> publishedHere = new ConcurrentHashMap<>();

  ClientRevocations(ReactiveStringRedisTemplate redis, DatabaseClient db, Clock clock, AuthProperties properties,
      @Value("${malipo.redis.key-prefix:malipo:}") String prefix,
      @Value("${malipo.auth.revocation-refresh:2s}") Duration refreshInterval, MeterRegistry meters) {
    if (refreshInterval.isNegative() || refreshInterval.isZero() || refreshInterval.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException("malipo.auth.revocation-refresh must be between 1ms and 1m, got " + refreshInterval);
    }
    this.redis = redis;
    this.db = db;
    this.clock = clock;
    this.key = prefix + "revoked-clients";
    this.refreshInterval = refreshInterval;
    // Tokens issued just before the revocation committed live one TTL more, accepted with the skew.
    this.tokenLifetimeMax = properties.tokenTtl().plus(properties.clockSkew()).plusMinutes(1);
    this.redisFailures = meters.counter("malipo.auth.revocations.refresh.failures", "source", "redis");
    meters.gauge("malipo.auth.revocations.denied", this, self -> self.revoked.size());
  }

  /** Whether tokens of {@code clientId} must be refused: a set lookup, safe on the request path. */
  public boolean isRevoked(String clientId) {
    return revoked.contains(clientId);
  }

  /** The longest time a token of a client revoked now may still verify; the deny list keeps it that long. */
  public Duration tokenLifetimeMax() {
    return tokenLifetimeMax;
  }

  /**
   * Puts a revoked client on the shared deny list and on this instance's copy.
   *
   * @param clientId the client, already revoked in PostgreSQL
   * @param revokedAt when it was revoked
   * @return completes when Redis has it; errors when Redis does not answer in 500 ms (the other
   *     instances then learn of it only if their Redis reads fail too; the caller should retry)
   */
  public Mono<Void> publish(String clientId, Instant revokedAt) {
    publishedHere.put(clientId, revokedAt.plus(tokenLifetimeMax));
    addLocally(clientId);
    double until = revokedAt.plus(tokenLifetimeMax).toEpochMilli();
    return redis.opsForZSet().add(key, clientId, until)
        .then(redis.expire(key, tokenLifetimeMax))
        .then(redis.opsForZSet().removeRangeByScore(key, Range.closed(0d, (double) clock.millis())))
        .subscribeOn(Schedulers.boundedElastic()) // Lettuce may connect synchronously on first use
        .timeout(REDIS_TIMEOUT)
        .then();
  }

  /** How often the local copy is refreshed. */
  public Duration refreshInterval() {
    return refreshInterval;
  }

  @Override
  protected Disposable launch() {
    return Flux.interval(Duration.ZERO, refreshInterval)
        .onBackpressureDrop()
        .concatMap(tick -> refresh(), 1)
        .subscribe();
  }

  /** One refresh: Redis, else PostgreSQL, else keep the last copy. Never errors. */
  Mono<Void> refresh() {
    return fromRedis()
        .onErrorResume(error -> {
          redisFailures.increment();
          log.debug("revocation list not read from Redis, reading PostgreSQL: {}", error.toString());
          return fromDatabase();
        })
        .doOnNext(fresh -> revoked = withPublishedHere(fresh))
        .onErrorResume(error -> {
          log.warn("revocation list not refreshed, keeping the last one ({} clients): {}", revoked.size(),
              error.toString());
          return Mono.empty();
        })
        .then();
  }

  private Mono<Set<String>> fromRedis() {
    return redis.opsForZSet().rangeByScore(key, Range.closed((double) clock.millis(), Double.MAX_VALUE))
        .collect(HashSet<String>::new, Set::add)
        .map(Set::<String>copyOf)
        .subscribeOn(Schedulers.boundedElastic())
        .timeout(REDIS_TIMEOUT);
  }

  private Mono<Set<String>> fromDatabase() {
    return db.sql("SELECT client_id FROM api_clients WHERE revoked_at > :since")
        .bind("since", clock.instant().minus(tokenLifetimeMax))
        .map(row -> row.get("client_id", String.class))
        .all()
        .collect(HashSet<String>::new, Set::add)
        .map(Set::<String>copyOf)
        .timeout(DATABASE_TIMEOUT);
  }

  private Set<String> withPublishedHere(Set<String> fresh) {
    Instant now = clock.instant();
    publishedHere.values().removeIf(until -> until.isBefore(now));
    if (publishedHere.isEmpty()) {
      return fresh;
    }
    Set<String> union = new HashSet<>(fresh);
    union.addAll(publishedHere.keySet());
    return Set.copyOf(union);
  }

  private synchronized void addLocally(String clientId) {
    Set<String> next = new HashSet<>(revoked);
    next.add(clientId);
    revoked = Set.copyOf(next);
  }
}
