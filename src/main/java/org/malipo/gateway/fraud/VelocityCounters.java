package org.malipo.gateway.fraud;

import java.time.Clock;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Per-card counters in Redis, updated and read in one atomic Lua script (one round trip): payments
 * this minute, amount this hour (fixed windows), and whether the card is on the blocklist set
 * {@code <prefix>fraud:blocklist:fingerprints}.
 */
@Component
final class VelocityCounters {

  private static final RedisScript<List> SCRIPT = RedisScript.of("""
      local count = redis.call('INCR', KEYS[1])
      if count == 1 then redis.call('EXPIRE', KEYS[1], 120) end
      local total = redis.call('INCRBY', KEYS[2], ARGV[1])
      if total == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[2], 7200) end
      local blocked = redis.call('SISMEMBER', KEYS[3], ARGV[2])
      return {count, total, blocked}
      """, List.class);

  private final ReactiveStringRedisTemplate redis;
  private final String prefix;
  private final Clock clock;

  VelocityCounters(ReactiveStringRedisTemplate redis, @Value("${malipo.redis.key-prefix:malipo:}") String prefix, Clock clock) {
    this.redis = redis;
    this.prefix = prefix;
    this.clock = clock;
  }

  /**
   * Counts this payment and reads the card's windows.
   *
   * @param amountMinor the payment amount in minor units
   * @return the counters after counting this payment; errors if Redis fails
   */
  Mono<Velocity> record(String cardFingerprint, long amountMinor) {
    long epochMinute = clock.millis() / 60_000L;
    long epochHour = epochMinute / 60L;
    String tag = "{" + cardFingerprint + "}"; // one hash slot per card, for Redis Cluster
    List<String> keys = List.of(
        prefix + "fraud:card:" + tag + ":count:" + epochMinute,
        prefix + "fraud:card:" + tag + ":amount:" + epochHour,
        prefix + "fraud:blocklist:fingerprints");
    return redis.execute(SCRIPT, keys, List.of(Long.toString(amountMinor), cardFingerprint))
        // Lettuce opens its shared connection synchronously on first use and after a reconnect;
        // subscribing off the event loop keeps that one-off wait away from request threads.
        .subscribeOn(Schedulers.boundedElastic())
        .next()
        .map(result -> new Velocity(
            ((Number) result.get(0)).longValue(),
            ((Number) result.get(1)).longValue(),
            ((Number) result.get(2)).longValue() == 1L));
  }

  /**
   * @param paymentsThisMinute payments of this card in the current minute, this one included
   * @param amountThisHourMinor amount of this card in the current hour, minor units
   * @param blocklisted whether the card fingerprint is blocklisted
   */
  record Velocity(long paymentsThisMinute, long amountThisHourMinor, boolean blocklisted) {}
}
