package org.malipo.gateway.routing;

import java.util.List;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Which rails are test (sandbox) rails and which are live ({@code malipo.livemode.*};
 * docs/adr/0078-test-and-live-mode.md). A test credential's payments go to test rails only, a
 * live credential's to live rails only.
 *
 * @param testRails names of the rails that are sandboxes (the in-process simulators, an
 *     operator's own sandbox such as Daraja's, WireMock in tests); {@code "*"} makes every rail a
 *     test rail (the {@code local}, {@code sandbox} and {@code test} profiles). Default empty: every
 *     rail is live, so a deployment that forgets this setting never sends test payments to a real
 *     rail (they fail {@code provider_unavailable}, nothing charged)
 */
@ConfigurationProperties("malipo.livemode")
public record RailModes(List<String> testRails) {

  /** Every rail a test rail. */
  static final RailModes ALL_TEST = new RailModes(List.of("*"));

  public RailModes {
    testRails = testRails == null ? List.of() : testRails.stream().map(String::strip).toList();
  }

  /** Whether the rail is live (real money), else a test rail. */
  public boolean isLive(String railName) {
    return !testRails.contains("*") && !Set.copyOf(testRails).contains(railName);
  }
}
