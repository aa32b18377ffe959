package org.malipo.gateway.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.BrowserScript;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Value;

/**
 * The browser-test toolchain works on this machine (web/README.md): Debian's Chromium starts under
 * playwright-core, reaches the gateway, and enforces the API answers' Content-Security-Policy.
 */
class BrowserToolchainIntegrationTests extends IntegrationTest {

  @Value("${local.server.port}") int port;

  @Test
  void chromiumReachesTheGatewayAndEnforcesItsContentSecurityPolicy() {
    String output = BrowserScript.run("self-check.mjs", "http://127.0.0.1:" + port, Map.of(), Duration.ofSeconds(90));

    assertThat(output).contains("browser test passed");
  }
}
