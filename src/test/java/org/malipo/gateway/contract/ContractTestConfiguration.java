package org.malipo.gateway.contract;

import java.time.Duration;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.WebTestClientBuilderCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * Registers {@link ContractValidatingFilter} on the shared {@code WebTestClient}, so every
 * integration test is also a contract test. Imported by {@code support.IntegrationTest} only,
 * which keeps the suite on one Spring context.
 */
@TestConfiguration(proxyBeanMethods = false)
public class ContractTestConfiguration {

  /**
   * Validation adds schema work to each exchange (the first use of a schema compiles it), and the
   * suite shares two cores with other builds: 5 s (the client's default) proved too tight under
   * that load, so the bound is 20 s. It still fails a hung exchange.
   */
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(20);

  @Bean
  WebTestClientBuilderCustomizer contractValidation() {
    return builder -> builder
        .responseTimeout(RESPONSE_TIMEOUT)
        .filter(new ContractValidatingFilter(OpenApiContract.get()));
  }
}
