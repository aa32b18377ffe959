package org.malipo.gateway.simulation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.IntegrationTest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed-replayable simulation of the payment orchestrator (issue 18 item 10,
 * docs/simulation.md). {@code ./mvnw verify} runs a fixed set of seeds; more run behind a flag:
 *
 * <ul>
 *   <li>{@code -Dsimulation.seeds=N} (or {@code SIMULATION_SEEDS=N}): N seeds from a random base,
 *       printed first (fixed seeds 1..N with {@code -Dsimulation.base=1});
 *   <li>{@code -Dsimulation.seed=S}: replays seed S alone, printing its trace;
 *   <li>{@code -Dsimulation.payments=P}: payments per seed (default 40).
 * </ul>
 *
 * A failing seed fails the test with {@code simulation seed=S failed: <invariant>} and the command
 * that replays it.
 */
class SimulationIntegrationTests extends IntegrationTest {

  private static final Logger log = LoggerFactory.getLogger(SimulationIntegrationTests.class);
  private static final int DEFAULT_SEEDS = 10;
  private static final int DEFAULT_PAYMENTS = 40;

  @Test
  void everySeedKeepsEveryInvariantAndEndsEveryPaymentFinalOrVisible() {
    SimulationInstance gateway = SimulationInstance.get();
    int payments = setting("simulation.payments", DEFAULT_PAYMENTS);
    String single = System.getProperty("simulation.seed");
    List<Long> seeds;
    if (single != null && !single.isBlank()) {
      seeds = List.of(Long.parseLong(single.strip()));
    } else {
      int count = setting("simulation.seeds", DEFAULT_SEEDS);
      boolean flagged = System.getProperty("simulation.seeds") != null || System.getenv("SIMULATION_SEEDS") != null;
      long base = setting("simulation.base", flagged ? ThreadLocalRandom.current().nextInt(1, 1 << 30) : 1);
      log.info("simulation: {} seeds from {} ({} payments each)", count, base, payments);
      seeds = java.util.stream.LongStream.range(base, base + count).boxed().toList();
    }
    long started = System.nanoTime();
    Map<String, Long> faults = new TreeMap<>();
    Map<String, Long> notes = new TreeMap<>();
    long checks = 0;
    long steps = 0;
    int paymentsRun = 0;
    for (long seed : seeds) {
      OrchestratorSimulation.Report report = new OrchestratorSimulation(gateway, seed, payments).run();
      if (single != null) {
        report.trace().forEach(line -> log.info("seed {}: {}", seed, line));
      }
      if (!report.violations().isEmpty()) {
        List<String> tail = report.trace().subList(Math.max(0, report.trace().size() - 40), report.trace().size());
        fail("simulation seed=" + seed + " failed: " + report.violations().getFirst()
            + "\nreplay: ./mvnw test -Dtest='SimulationIntegrationTests#everySeed*' -Dsimulation.seed=" + seed
            + " -Dsimulation.payments=" + payments
            + "\nall violations: " + report.violations()
            + "\nlast steps:\n  " + String.join("\n  ", tail));
      }
      report.faults().forEach((kind, n) -> faults.merge(kind, n, Long::sum));
      report.notes().forEach((kind, n) -> notes.merge(kind, n, Long::sum));
      checks += report.checks();
      steps += report.steps();
      paymentsRun += report.payments();
      log.info("simulation seed={} ok: {} payments, {} steps, {} checks, trace {}", seed, report.payments(),
          report.steps(), report.checks(), report.traceHash());
    }
    long faultTotal = faults.values().stream().mapToLong(Long::longValue).sum();
    String summary = "simulation: %d seeds, %d payments, %d steps, %d faults injected %s, %d invariant checks, notes %s, %d s"
        .formatted(seeds.size(), paymentsRun, steps, faultTotal, faults, checks, notes,
            (System.nanoTime() - started) / 1_000_000_000L);
    log.info(summary);
    System.out.println(summary);
    assertThat(faultTotal).as("faults injected").isPositive();
  }

  @Test
  void aSeedReplaysExactly() {
    SimulationInstance gateway = SimulationInstance.get();
    long seed = 7;
    OrchestratorSimulation.Report first = new OrchestratorSimulation(gateway, seed, 15).run();
    OrchestratorSimulation.Report second = new OrchestratorSimulation(gateway, seed, 15).run();
    assertThat(first.violations()).isEmpty();
    assertThat(second.trace()).as("the second run of seed %d, step by step", seed).containsExactlyElementsOf(first.trace());
    assertThat(second.faults()).isEqualTo(first.faults());
    assertThat(second.traceHash()).isEqualTo(first.traceHash());
  }

  private static int setting(String property, int fallback) {
    return (int) setting(property, (long) fallback);
  }

  private static long setting(String property, long fallback) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      value = System.getenv(property.toUpperCase(java.util.Locale.ROOT).replace('.', '_'));
    }
    return value == null || value.isBlank() ? fallback : Long.parseLong(value.strip());
  }
}
