package org.malipo.gateway.fraud;

import java.time.Clock;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.malipo.gateway.common.RedisSubscriptions;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Per-card counters in Redis, updated and read in one atomic Lua script (one round trip): payments
 * this minute, amount this hour (fixed windows), and whether the card is on the blocklist set
 * {@code <prefix>fraud:blocklist:fingerprints}. Payments are counted by their idempotency key (a
 * set per window), so a retried request, which is scored again before its key is looked up
 * (docs/adr/0077), is not a second payment.
 */
@Component
final class VelocityCounters {

  // KEYS: the minute's set of payments, the hour's set of payments, the hour's amount, the blocklist.
  // ARGV: amount (minor units), card fingerprint, the payment's merchant:idempotency-key.
  // A payment already in the hour's set (a retry of the same request) adds nothing.
  private static final RedisScript<List> SCRIPT = RedisScript.of("""
      local new_this_hour = redis.call('SADD', KEYS[2], ARGV[3])
      local total
      if new_this_hour == 1 then
        if redis.call('SCARD', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], 7200) end
        total = redis.call('INCRBY', KEYS[3], ARGV[1])
        if total == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[3], 7200) end
      else
        total = tonumber(redis.call('GET', KEYS[3]) or '0')
      end
      redis.call('SADD', KEYS[1], ARGV[3])
      local count = redis.call('SCARD', KEYS[1])
      if count == 1 then redis.call('EXPIRE', KEYS[1], 120) end
      local blocked = redis.call('SISMEMBER', KEYS[4], ARGV[2])
      return {count, total, blocked}
      """, List.class);

  private final ReactiveStringRedisTemplate redis;
  private final RedisSubscriptions subscriptions;
  private final String prefix;
  private final Clock clock;

  VelocityCounters(ReactiveStringRedisTemplate redis, RedisSubscriptions subscriptions,
      @Value("${malipo.redis.key-prefix:malipo:}") String prefix, Clock clock) {
    this.redis = redis;
    this.subscriptions = subscriptions;
    this.prefix = prefix;
    this.clock = clock;
  }

  /**
   * Counts this payment, once per key, and reads the card's windows.
   *
   * @param amountMinor the payment amount in minor units
   * @param paymentKey {@code <merchant>:<idempotency key>}: the same key counts once
   * @return the counters after counting this payment; errors if Redis fails
   */
  Mono<Velocity> record(String cardFingerprint, long amountMinor, String paymentKey) {
    long epochMinute = clock.millis() / 60_000L;
    long epochHour = epochMinute / 60L;
    String tag = "{" + cardFingerprint + "}"; // one hash slot per card, for Redis Cluster
    List<String> keys = List.of(
        prefix + "fraud:card:" + tag + ":payments:m" + epochMinute,
        prefix + "fraud:card:" + tag + ":payments:h" + epochHour,
        prefix + "fraud:card:" + tag + ":amount:" + epochHour,
        prefix + "fraud:blocklist:fingerprints");
    // Off the event loop until the shared connection is open (RedisSubscriptions).
    return subscriptions.flux(redis.execute(SCRIPT, keys, List.of(Long.toString(amountMinor), cardFingerprint, paymentKey)))
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
