package org.malipo.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.routing.RailRanking.Candidate;

class RailRankingUnitTests {

  @Test
  void lowerTierWinsOverABetterScoreInAHigherTier() {
    List<String> ranked = RailRanking.rank(List.of(
        new Candidate<>("a", 0, 0, 0.2, false),
        new Candidate<>("b", 1, 1, 1.0, false)), 0, Draws.none());

    assertThat(ranked).containsExactly("a", "b");
  }

  @Test
  void withinATierTheHealthierRailGoesFirst() {
    List<String> ranked = RailRanking.rank(List.of(
        new Candidate<>("a", 0, 0, 0.25, false),
        new Candidate<>("b", 0, 1, 1.0, false),
        new Candidate<>("c", 1, 2, 1.0, false)), 0, Draws.none());

    assertThat(ranked).containsExactly("b", "a", "c");
  }

  @Test
  void scoresWithinTheSameTenthKeepConfigurationOrder() {
    List<String> ranked = RailRanking.rank(List.of(
        new Candidate<>("a", 0, 0, 0.96, false),
        new Candidate<>("b", 0, 1, 1.0, false)), 0, Draws.none());

    assertThat(ranked).containsExactly("a", "b");
  }

  @Test
  void aRailThatWouldRefuseCallsGoesLastWhateverItsTier() {
    List<String> ranked = RailRanking.rank(List.of(
        new Candidate<>("a", 0, 0, 1.0, true),
        new Candidate<>("b", 1, 1, 0.5, false),
        new Candidate<>("c", 2, 2, 1.0, false)), 0, Draws.none());

    assertThat(ranked).containsExactly("b", "c", "a");
  }

  @Test
  void explorationMovesALowerRankedRailOfTheTopTierToTheFront() {
    List<Candidate<String>> candidates = List.of(
        new Candidate<>("a", 0, 0, 1.0, false),
        new Candidate<>("b", 0, 1, 0.1, false),
        new Candidate<>("c", 0, 2, 0.0, false),
        new Candidate<>("d", 1, 3, 1.0, false));

    // nextInt(100) = 4 < 5 %: explore; nextInt(2) = 1: the second eligible rail, c.
    assertThat(RailRanking.rank(candidates, 5, Draws.of(4, 1))).containsExactly("c", "a", "b", "d");
  }

  @Test
  void noExplorationWhenTheDrawIsAboveTheShare() {
    List<Candidate<String>> candidates = List.of(
        new Candidate<>("a", 0, 0, 1.0, false),
        new Candidate<>("b", 0, 1, 0.1, false));

    assertThat(RailRanking.rank(candidates, 5, Draws.of(5))).containsExactly("a", "b");
  }

  @Test
  void explorationNeverCrossesATierNorPicksARailThatWouldRefuse() {
    List<Candidate<String>> candidates = List.of(
        new Candidate<>("a", 0, 0, 1.0, false),
        new Candidate<>("b", 0, 1, 0.1, true),
        new Candidate<>("c", 1, 2, 1.0, false));

    // The draw would explore, but no rail of tier 0 is eligible: nothing is drawn further.
    assertThat(RailRanking.rank(candidates, 50, Draws.of(0))).containsExactly("a", "c", "b");
  }

  @Test
  void noCandidatesRankToAnEmptyList() {
    assertThat(RailRanking.<String>rank(List.of(), 5, Draws.none())).isEmpty();
  }

  /** A random source that answers {@code nextInt(bound)} from a script and fails on anything else. */
  static final class Draws implements RandomGenerator {

    private final Deque<Integer> values;

    private Draws(Deque<Integer> values) {
      this.values = values;
    }

    static Draws of(Integer... values) {
      return new Draws(new ArrayDeque<>(List.of(values)));
    }

    static Draws none() {
      return of();
    }

    @Override
    public int nextInt(int bound) {
      Integer value = values.poll();
      if (value == null) {
        throw new AssertionError("unexpected random draw (bound " + bound + ")");
      }
      assertThat(value).isBetween(0, bound - 1);
      return value;
    }

    @Override
    public long nextLong() {
      throw new AssertionError("unexpected nextLong()");
    }
  }
}
