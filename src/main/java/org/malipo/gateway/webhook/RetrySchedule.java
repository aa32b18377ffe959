package org.malipo.gateway.webhook;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;

/**
 * When a failed delivery is tried again: exponential back-off with random jitter, capped, for
 * {@code attemptsMax} attempts in all; with the defaults (1 min × 3ⁿ, cap 12 h, ± 20 %, 12
 * attempts) the last attempt comes about 2.75 days after the first
 * (docs/adr/0021-webhook-delivery.md). The interval arithmetic is Resilience4j's.
 */
final class RetrySchedule {

  private final IntervalFunction intervals;
  private final int attemptsMax;

  RetrySchedule(WebhookProperties properties) {
    this(properties.retryInitialInterval(), properties.retryMultiplier(), properties.retryRandomization(),
        properties.retryMaxInterval(), properties.attemptsMax());
  }

  RetrySchedule(Duration initial, double multiplier, double randomization, Duration max, int attemptsMax) {
    this.intervals = IntervalFunction.ofExponentialRandomBackoff(initial, multiplier, randomization, max);
    this.attemptsMax = attemptsMax;
  }

  /**
   * The wait before the next attempt, or empty when the delivery is to be dead-lettered.
   *
   * @param attemptsMade attempts so far, all failed (≥ 1)
   * @return the wait in ms, or {@code -1} after the last allowed attempt
   */
  long nextDelayMs(int attemptsMade) {
    if (attemptsMade >= attemptsMax) {
      return -1;
    }
    return intervals.apply(attemptsMade);
  }

  /** Attempts in all before dead-lettering. */
  int attemptsMax() {
    return attemptsMax;
  }
}
