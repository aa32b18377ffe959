package org.malipo.gateway.rail.card;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** A WireMock acquirer for the card adapter's tests, and the adapter's settings that point at it. */
final class WireMockAcquirer {

  private WireMockAcquirer() {}

  /** A started WireMock server on a free loopback port; the caller stops it. */
  static WireMockServer start() {
    WireMockServer acquirer = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    acquirer.start();
    return acquirer;
  }

  /**
   * {@code malipo.rails.card} bound with one acquirer {@code rail} at {@code acquirer}: base URL,
   * {@code apiKey}, a 500 ms connect timeout, then {@code settings} (keys below
   * {@code malipo.rails.card.acquirers.<rail>.}) on top.
   */
  static CardRailProperties properties(WireMockServer acquirer, String rail, String apiKey, Map<String, String> settings) {
    Map<String, String> properties = new LinkedHashMap<>();
    String prefix = "malipo.rails.card.acquirers." + rail + ".";
    properties.put(prefix + "base-url", acquirer.baseUrl() + "/" + rail);
    properties.put(prefix + "api-key", apiKey);
    properties.put(prefix + "connect-timeout", "500ms");
    settings.forEach((key, value) -> properties.put(prefix + key, value));
    return new Binder(new MapConfigurationPropertySource(properties))
        .bindOrCreate("malipo.rails.card", CardRailProperties.class);
  }
}
