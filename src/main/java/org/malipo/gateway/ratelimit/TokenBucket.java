package org.malipo.gateway.ratelimit;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.malipo.gateway.common.RedisSubscriptions;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * One token bucket per merchant in Redis (hash {@code <prefix>ratelimit:{<merchant>}} with the
 * fractional {@code tokens} and the refill time {@code ts}), refilled and taken from in one atomic
 * Lua script: one round trip, and no two instances can both spend the last token.
 *
 * <p>The script reads the clock of Redis ({@code TIME}), not of the instance, so instances with
 * skewed clocks still share one consistent bucket. The key expires once the bucket would be full
 * again, so idle merchants cost no memory.
 */
@Component
final class TokenBucket {

  // ARGV: capacity (tokens), refill rate (tokens per second). Returns
  // {allowed 0|1, whole tokens left, ms until the next token, ms until the bucket is full}.
  private static final RedisScript<List> SCRIPT = RedisScript.of("""
      local capacity = tonumber(ARGV[1])
      local rate = tonumber(ARGV[2])
      local clock = redis.call('TIME')
      local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
      local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
      local tokens = tonumber(state[1])
      local ts = tonumber(state[2])
      if tokens == nil or ts == nil then
        tokens = capacity
        ts = now
      end
      tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000)
      local allowed = 0
      if tokens >= 1 then
        tokens = tokens - 1
        allowed = 1
      end
      local full_ms = math.ceil((capacity - tokens) * 1000 / rate)
      redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
      redis.call('PEXPIRE', KEYS[1], full_ms + 1000)
      local next_ms = 0
      if tokens < 1 then next_ms = math.ceil((1 - tokens) * 1000 / rate) end
      return {allowed, math.floor(tokens), next_ms, full_ms}
      """, List.class);

  private static final Logger log = LoggerFactory.getLogger(TokenBucket.class);

  private final ReactiveStringRedisTemplate redis;
  private final RedisSubscriptions subscriptions;
  private final String prefix;

  TokenBucket(ReactiveStringRedisTemplate redis, RedisSubscriptions subscriptions,
      @Value("${malipo.redis.key-prefix:malipo:}") String prefix) {
    this.redis = redis;
    this.subscriptions = subscriptions;
    this.prefix = prefix;
  }

  /**
   * Opens the Redis connection and loads the script once at start-up, so the first requests are
   * limited like the others instead of waiting for that (and failing open past the timeout).
   * Fire and forget: a Redis that is down now is the limiter's usual degraded case.
   */
  @EventListener(ApplicationReadyEvent.class)
  void warmUp() {
    take("warm-up", new RateLimitProperties.Limit(1, 1.0))
        .subscribe(decision -> { }, error -> log.debug("rate limit warm-up failed: {}", error.toString()));
  }

  /**
   * Takes one token from the merchant's bucket if it has one.
   *
   * @param limit the merchant's bucket size and refill rate
   * @return the decision and the bucket after it; errors if Redis fails (the caller fails open)
   */
  Mono<Decision> take(String merchantId, RateLimitProperties.Limit limit) {
    // The hash tag keeps a merchant's bucket in one slot under Redis Cluster.
    List<String> keys = List.of(prefix + "ratelimit:{" + merchantId + "}");
    List<String> args = List.of(Integer.toString(limit.capacity()), Double.toString(limit.refillPerSecond()));
    // Off the event loop until the shared connection is open (RedisSubscriptions). The answer
    // arrives on Lettuce's own event loop either way.
    return subscriptions.flux(redis.execute(SCRIPT, keys, args))
        .next()
        .map(result -> new Decision(
            ((Number) result.get(0)).longValue() == 1L,
            ((Number) result.get(1)).longValue(),
            ((Number) result.get(2)).longValue(),
            ((Number) result.get(3)).longValue()));
  }

  /**
   * @param allowed whether a token was taken
   * @param remaining whole tokens left after this request
   * @param nextTokenMs milliseconds until the bucket holds a whole token again (0 if it does)
   * @param fullMs milliseconds until the bucket is full again
   */
  record Decision(boolean allowed, long remaining, long nextTokenMs, long fullMs) {}
}
