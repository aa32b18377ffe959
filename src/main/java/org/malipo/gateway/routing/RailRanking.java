package org.malipo.gateway.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The ranking rule, as a pure function of the candidates' facts and a random source
 * (docs/adr/0040-health-aware-ranking.md):
 *
 * <ol>
 *   <li>rails that would refuse a call now (open circuit, full bulkhead, rate used up) go last;
 *   <li>then by tier (the merchant's rule, else the configured priority);
 *   <li>within a tier, by health score in steps of {@value #SCORE_STEPS_PER_UNIT}ths, so noise
 *       does not reshuffle rails of about equal health;
 *   <li>then configuration order.
 * </ol>
 *
 * <p>Exploration: with probability {@code explorationPercent}%, one lower-ranked rail of the top
 * rail's tier that would accept a call is moved to the front, chosen uniformly. It never crosses a
 * tier: configured priorities and merchant rules always win.
 */
final class RailRanking {

  /** Scores are compared rounded to tenths. */
  static final int SCORE_STEPS_PER_UNIT = 10;

  private RailRanking() {}

  /**
   * What the ranking knows about one candidate rail.
   *
   * @param <R> the rail type
   * @param rail the rail
   * @param tier 0 for the most preferred tier
   * @param configurationOrder position among the configured rails
   * @param score health score, 0.0 to 1.0
   * @param refusesCalls whether a call now would be refused by the gateway itself
   */
  record Candidate<R>(R rail, int tier, int configurationOrder, double score, boolean refusesCalls) {

    long scoreStep() {
      return Math.round(score * SCORE_STEPS_PER_UNIT);
    }
  }

  /**
   * Ranks the candidates, best first.
   *
   * @param explorationPercent 0 to 100
   * @param random the source of the exploration draw ({@code nextInt(100)}, then
   *     {@code nextInt(eligible)} when exploring)
   * @return the rails, best first; empty for no candidates
   */
  static <R> List<R> rank(List<Candidate<R>> candidates, int explorationPercent, RandomGenerator random) {
    List<Candidate<R>> ranked = new ArrayList<>(candidates);
    ranked.sort(RailRanking.<R>order());
    explore(ranked, explorationPercent, random);
    return ranked.stream().map(Candidate::rail).toList();
  }

  private static <R> Comparator<Candidate<R>> order() {
    return Comparator.<Candidate<R>, Boolean>comparing(Candidate::refusesCalls)
        .thenComparingInt(Candidate::tier)
        .thenComparing(Comparator.<Candidate<R>>comparingLong(Candidate::scoreStep).reversed())
        .thenComparingInt(Candidate::configurationOrder);
  }

  private static <R> void explore(List<Candidate<R>> ranked, int explorationPercent, RandomGenerator random) {
    if (ranked.size() < 2 || explorationPercent <= 0 || ranked.getFirst().refusesCalls()) {
      return;
    }
    int topTier = ranked.getFirst().tier();
    List<Candidate<R>> eligible = ranked.subList(1, ranked.size()).stream()
        .filter(c -> c.tier() == topTier && !c.refusesCalls())
        .toList();
    if (eligible.isEmpty() || random.nextInt(100) >= explorationPercent) {
      return;
    }
    Candidate<R> chosen = eligible.get(random.nextInt(eligible.size()));
    ranked.remove(chosen);
    ranked.addFirst(chosen);
  }
}
