package org.malipo.gateway.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.RedisSubscriptions;
import org.malipo.gateway.fraud.VelocityCounters.Velocity;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * The velocity windows count a payment once per idempotency key, against the machine's Redis: the
 * pipeline scores a request before its key is claimed (docs/adr/0077), so a retry of the same
 * request is scored again and must not count as a second payment.
 */
class VelocityCountersIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(5);

  @Autowired ReactiveStringRedisTemplate redis;

  @Test
  void aRetriedKeyIsCountedOnceAndANewKeyAgain() {
    // A fixed clock: the four payments fall in one minute and one hour whenever the test runs.
    VelocityCounters counters = new VelocityCounters(redis, new RedisSubscriptions(), "malipo-test-velocity:",
        Clock.fixed(Instant.parse("2026-12-07T10:00:30Z"), ZoneOffset.UTC));
    String card = "fp-velocity-" + UUID.randomUUID();

    Velocity first = counters.record(card, 1_000, "mer_a:key-1").block(WAIT);
    Velocity retry = counters.record(card, 1_000, "mer_a:key-1").block(WAIT);
    Velocity second = counters.record(card, 2_500, "mer_a:key-2").block(WAIT);
    Velocity otherMerchantSameKey = counters.record(card, 500, "mer_b:key-1").block(WAIT);

    assertThat(first).isEqualTo(new Velocity(1, 1_000, false));
    assertThat(retry).as("the same key adds neither a payment nor its amount").isEqualTo(new Velocity(1, 1_000, false));
    assertThat(second).isEqualTo(new Velocity(2, 3_500, false));
    assertThat(otherMerchantSameKey).as("keys are per merchant").isEqualTo(new Velocity(3, 4_000, false));
  }
}
