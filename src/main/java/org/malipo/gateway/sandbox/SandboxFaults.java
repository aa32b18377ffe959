package org.malipo.gateway.sandbox;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator's fault switches of the sandbox acquirers, changed at runtime
 * ({@code PUT /v1/sandbox/rails/{rail}/faults}, docs/adr/0041-sandbox-fault-control.md): extra
 * latency before every answer of one acquirer, and whether it fails outright with
 * {@code 503 service_unavailable} (response code 91, not processed: nothing is charged). Issue
 * 22's simulators honour the same switches under their rail names ({@code airtel}, {@code orange},
 * {@code paystack}, {@code flutterwave}), each failing with its own documented refusal
 * ({@link RegionalSimulators}).
 *
 * <p>Thread-safe and lock-free; holds at most {@value #MAX_FAULTY_RAILS} acquirers at once, and a
 * cleared acquirer is removed.
 */
public final class SandboxFaults {

  /** Acquirers that may have faults at once; there are a handful of acquirers. */
  public static final int MAX_FAULTY_RAILS = 32;

  /** Longest extra latency: beyond any rail call timeout worth simulating. */
  public static final Duration MAX_LATENCY = Duration.ofSeconds(60);

  private static final Fault NONE = new Fault(Duration.ZERO, false);

  private final Map<String, Fault> faults = new ConcurrentHashMap<>();

  /**
   * The faults of one acquirer.
   *
   * @param extraLatency added before every answer, on top of {@code malipo.sandbox.acquirer-latency}
   * @param fail whether every call is answered {@code 503} without being processed
   */
  public record Fault(Duration extraLatency, boolean fail) {

    /**
     * @throws IllegalArgumentException when the latency is negative or above {@link #MAX_LATENCY}
     */
    public Fault {
      if (extraLatency.isNegative() || extraLatency.compareTo(MAX_LATENCY) > 0) {
        throw new IllegalArgumentException("extra latency must be 0.." + MAX_LATENCY.toMillis() + " ms: " + extraLatency);
      }
    }

    boolean none() {
      return extraLatency.isZero() && !fail;
    }
  }

  /**
   * Sets (or, with no latency and no failure, clears) the faults of one acquirer.
   *
   * @return false, changing nothing, when {@value #MAX_FAULTY_RAILS} other acquirers already have
   *     faults
   */
  public boolean set(String acquirer, Fault fault) {
    if (fault.none()) {
      faults.remove(acquirer);
      return true;
    }
    if (faults.size() >= MAX_FAULTY_RAILS && !faults.containsKey(acquirer)) {
      return false;
    }
    faults.put(acquirer, fault);
    return true;
  }

  /** The acquirer's current faults; none when it has none. */
  public Fault of(String acquirer) {
    return faults.getOrDefault(acquirer, NONE);
  }

  /** Clears every acquirer's faults. */
  public void clear() {
    faults.clear();
  }
}
