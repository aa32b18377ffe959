package org.malipo.gateway.sandbox;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the in-process rail simulators ({@code malipo.sandbox.*}). Null components take the
 * documented default.
 *
 * @param enabled whether {@link SandboxServer} starts; default false (true in the local, test and
 *     bench profiles)
 * @param port TCP port on 127.0.0.1; default 0, an ephemeral port
 * @param acquirerApiKey the Bearer key the sandbox acquirers accept; default
 *     {@code sandbox-acquirer-key}
 * @param acquirerLatency added before every sandbox acquirer answer, without blocking; default 0
 * @param callbackDelay how long the mobile-money simulators wait (the "customer on the handset")
 *     before they call the gateway back and before their status queries turn final; default 2 s
 * @param callbackRepeat how many times each callback is delivered (2 exercises duplicate handling);
 *     default 1
 * @param maxStoredAnswers entries the sandbox acquirer keeps per store (approvals, stored answers
 *     for Idempotency-Key replays); default 100,000. The benchmark lowers it so the gateway's heap
 *     is not hidden behind the simulated acquirer's records.
 */
@ConfigurationProperties("malipo.sandbox")
public record SandboxProperties(boolean enabled, Integer port, String acquirerApiKey, Duration acquirerLatency,
    Duration callbackDelay, Integer callbackRepeat, Integer maxStoredAnswers) {

  /** The default sandbox acquirer key. */
  public static final String DEFAULT_ACQUIRER_API_KEY = "sandbox-acquirer-key";

  /**
   * Replaces null components by their defaults and checks them.
   *
   * @throws IllegalArgumentException for a port outside 0..65535 or a negative latency
   */
  public SandboxProperties {
    port = port == null ? 0 : port;
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("malipo.sandbox.port must be 0..65535: " + port);
    }
    acquirerApiKey = acquirerApiKey == null || acquirerApiKey.isBlank() ? DEFAULT_ACQUIRER_API_KEY : acquirerApiKey;
    acquirerLatency = acquirerLatency == null ? Duration.ZERO : acquirerLatency;
    callbackDelay = callbackDelay == null ? Duration.ofSeconds(2) : callbackDelay;
    callbackRepeat = callbackRepeat == null ? 1 : callbackRepeat;
    maxStoredAnswers = maxStoredAnswers == null ? 100_000 : maxStoredAnswers;
    if (maxStoredAnswers < 1) {
      throw new IllegalArgumentException("malipo.sandbox.max-stored-answers must be at least 1: " + maxStoredAnswers);
    }
    if (callbackDelay.isNegative() || callbackRepeat < 1 || callbackRepeat > 10) {
      throw new IllegalArgumentException("malipo.sandbox.callback-delay must not be negative and callback-repeat be 1..10");
    }
    if (acquirerLatency.isNegative()) {
      throw new IllegalArgumentException("malipo.sandbox.acquirer-latency must not be negative: " + acquirerLatency);
    }
  }

  @Override
  public String toString() {
    return "SandboxProperties[enabled=" + enabled + ", port=" + port + ", acquirerLatency=" + acquirerLatency
        + ", callbackDelay=" + callbackDelay + ", callbackRepeat=" + callbackRepeat + ", maxStoredAnswers="
        + maxStoredAnswers + "]";
  }
}
