package org.malipo.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The production retry schedule: growth, jitter, cap, dead-lettering, about three days in all. */
class RetryScheduleUnitTests {

  private final RetrySchedule production = new RetrySchedule(new WebhookProperties(null, null, null, null, null, null,
      null, null, null, null, null, null, null, null, null));

  @RepeatedTest(20)
  void waitsGrowThreefoldWithin20PercentJitterUpToTwelveHours() {
    long expected = Duration.ofMinutes(1).toMillis();
    for (int attempt = 1; attempt < production.attemptsMax(); attempt++) {
      long capped = Math.min(expected, Duration.ofHours(12).toMillis());
      assertThat(production.nextDelayMs(attempt)).as("after attempt " + attempt)
          .isBetween((long) (capped * 0.8) - 1, (long) (capped * 1.2) + 1);
      expected *= 3;
    }
  }

  @Test
  void deadLettersAfterTheTwelfthAttempt() {
    assertThat(production.attemptsMax()).isEqualTo(12);
    assertThat(production.nextDelayMs(11)).isPositive();
    assertThat(production.nextDelayMs(12)).isEqualTo(-1);
  }

  @RepeatedTest(20)
  void theWholeScheduleSpansAboutThreeDays() {
    long totalMs = 0;
    for (int attempt = 1; attempt < production.attemptsMax(); attempt++) {
      totalMs += production.nextDelayMs(attempt);
    }
    assertThat(Duration.ofMillis(totalMs)).isBetween(Duration.ofHours(55), Duration.ofHours(80));
  }
}
