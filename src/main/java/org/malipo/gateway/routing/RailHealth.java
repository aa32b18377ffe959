package org.malipo.gateway.routing;

import java.time.Clock;
import java.util.Collection;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.malipo.gateway.rail.RailOutcome;

/**
 * Each rail's health on this instance, from the outcomes of its recent authorizations
 * (docs/adr/0040-health-aware-ranking.md).
 *
 * <p>Only outcomes the rail is responsible for count: an approval, a decline or a pending answer
 * is a success of the rail; a refusal, a 5xx, a timeout or an unreadable answer is a failure; a
 * call the gateway shed itself (open circuit, full bulkhead, rate limit) is not counted.
 *
 * <p>The score, 0.0 to 1.0, is {@code successRate × min(1, latencyTarget / meanSuccessLatency)};
 * with fewer than {@code minSamples} outcomes in the window it is a neutral 1.0, so a rail
 * without recent traffic (new, or recovered and forgotten) is ranked as healthy.
 */
final class RailHealth {

  private final Map<String, HealthWindow> windows;
  private final int minSamples;
  private final long latencyTargetMs;

  /**
   * @param railNames the rails to track; outcomes of other names are ignored
   * @param clock the time source
   * @param health window length, minimum samples, latency target
   */
  RailHealth(Collection<String> railNames, Clock clock, RoutingProperties.Health health) {
    this.windows = railNames.stream().distinct().collect(Collectors.toUnmodifiableMap(Function.identity(),
        name -> new HealthWindow(clock, health.window().toMillis())));
    this.minSamples = health.minSamples();
    this.latencyTargetMs = health.latencyTarget().toMillis();
  }

  /**
   * Counts one authorization outcome of {@code rail}.
   *
   * @param latencyMs the call's wall time, milliseconds
   */
  void record(String rail, RailOutcome outcome, long latencyMs) {
    HealthWindow window = windows.get(rail);
    if (window == null) {
      return;
    }
    switch (outcome) {
      case RailOutcome.Approved a -> window.record(true, latencyMs);
      case RailOutcome.Declined d -> window.record(true, latencyMs);
      case RailOutcome.Pending p -> window.record(true, latencyMs);
      case RailOutcome.NotAttempted n when n.shed() -> { } // the gateway's own refusal, not the rail's
      case RailOutcome.NotAttempted n -> window.record(false, latencyMs);
      case RailOutcome.Unknown u -> window.record(false, latencyMs);
    }
  }

  /**
   * The rail's health score now.
   *
   * @return 0.0 (every recent call failed) to 1.0 (healthy, or too few recent calls to tell);
   *     1.0 for a rail that is not tracked
   */
  double score(String rail) {
    HealthWindow window = windows.get(rail);
    if (window == null) {
      return 1.0;
    }
    HealthWindow.Totals totals = window.totals();
    if (totals.samples() < minSamples) {
      return 1.0;
    }
    double successRate = (double) totals.successes() / totals.samples();
    if (totals.successes() == 0) {
      return 0.0;
    }
    double meanLatencyMs = (double) totals.successLatencyMs() / totals.successes();
    double latencyFactor = meanLatencyMs <= latencyTargetMs ? 1.0 : latencyTargetMs / meanLatencyMs;
    return successRate * latencyFactor;
  }

  /** Forgets the rail's outcomes: its score is neutral until new ones arrive. */
  void forget(String rail) {
    HealthWindow window = windows.get(rail);
    if (window != null) {
      window.clear();
    }
  }
}
