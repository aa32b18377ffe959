package org.malipo.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.rail.RailOutcome;

class RailHealthUnitTests {

  private final SteppingClock clock = new SteppingClock();
  private final RailHealth health = new RailHealth(List.of("acquirer_a"), clock,
      new RoutingProperties.Health(Duration.ofSeconds(10), 5, Duration.ofMillis(500)));

  @Test
  void declinesArePartOfAHealthyRail() {
    for (int i = 0; i < 10; i++) {
      health.record("acquirer_a", new RailOutcome.Declined("acquirer_a", "auth_1", "05", "card_declined", "no"), 40);
    }

    assertThat(health.score("acquirer_a")).isEqualTo(1.0);
  }

  @Test
  void refusalsAndUnknownOutcomesLowerTheScore() {
    for (int i = 0; i < 5; i++) {
      health.record("acquirer_a", approved(), 40);
    }
    for (int i = 0; i < 3; i++) {
      health.record("acquirer_a", new RailOutcome.NotAttempted("acquirer_a", "HTTP 503"), 5);
    }
    health.record("acquirer_a", new RailOutcome.Unknown("acquirer_a", "timeout"), 5_000);
    health.record("acquirer_a", new RailOutcome.Unknown("acquirer_a", "timeout"), 5_000);

    assertThat(health.score("acquirer_a")).isCloseTo(0.5, within(1e-9));
  }

  @Test
  void callsTheGatewayShedItselfDoNotCount() {
    for (int i = 0; i < 20; i++) {
      health.record("acquirer_a", new RailOutcome.NotAttempted("acquirer_a", "circuit_open", true), 0);
    }
    for (int i = 0; i < 5; i++) {
      health.record("acquirer_a", approved(), 40);
    }

    assertThat(health.score("acquirer_a")).isEqualTo(1.0);
  }

  @Test
  void slowSuccessesCostScoreInProportionToTheLatencyTarget() {
    for (int i = 0; i < 5; i++) {
      health.record("acquirer_a", approved(), 2_000);
    }

    assertThat(health.score("acquirer_a")).isCloseTo(0.25, within(1e-9));
  }

  @Test
  void fewerOutcomesThanTheMinimumLeaveTheScoreNeutral() {
    for (int i = 0; i < 4; i++) {
      health.record("acquirer_a", new RailOutcome.Unknown("acquirer_a", "timeout"), 5_000);
    }

    assertThat(health.score("acquirer_a")).isEqualTo(1.0);
  }

  @Test
  void outcomesOlderThanTheWindowAreForgotten() {
    for (int i = 0; i < 10; i++) {
      health.record("acquirer_a", new RailOutcome.NotAttempted("acquirer_a", "HTTP 503"), 5);
    }
    assertThat(health.score("acquirer_a")).isZero();

    clock.advance(Duration.ofSeconds(5));
    assertThat(health.score("acquirer_a")).as("half the window later").isZero();

    clock.advance(Duration.ofSeconds(6));
    assertThat(health.score("acquirer_a")).as("after the whole window").isEqualTo(1.0);
  }

  @Test
  void theWindowSlidesBucketByBucket() {
    for (int i = 0; i < 5; i++) {
      health.record("acquirer_a", new RailOutcome.NotAttempted("acquirer_a", "HTTP 503"), 5);
    }
    clock.advance(Duration.ofSeconds(6));
    for (int i = 0; i < 5; i++) {
      health.record("acquirer_a", approved(), 40);
    }
    assertThat(health.score("acquirer_a")).isCloseTo(0.5, within(1e-9));

    clock.advance(Duration.ofSeconds(5));
    assertThat(health.score("acquirer_a")).as("the failures left the window").isEqualTo(1.0);
  }

  @Test
  void untrackedRailsAreIgnoredAndNeutral() {
    health.record("acquirer_z", new RailOutcome.Unknown("acquirer_z", "timeout"), 5_000);

    assertThat(health.score("acquirer_z")).isEqualTo(1.0);
  }

  @Test
  void forgettingARailMakesItNeutralAgain() {
    for (int i = 0; i < 10; i++) {
      health.record("acquirer_a", new RailOutcome.NotAttempted("acquirer_a", "HTTP 503"), 5);
    }
    health.forget("acquirer_a");

    assertThat(health.score("acquirer_a")).isEqualTo(1.0);
  }

  private static RailOutcome approved() {
    return new RailOutcome.Approved("acquirer_a", "auth_1", "00");
  }

  /** A clock that moves only when told. */
  static final class SteppingClock extends Clock {

    private Instant now = Instant.parse("2026-01-31T09:15:00Z");

    void advance(Duration step) {
      now = now.plus(step);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
