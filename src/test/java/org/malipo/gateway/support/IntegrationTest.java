package org.malipo.gateway.support;

import java.util.concurrent.ThreadLocalRandom;
import org.malipo.gateway.contract.ContractTestConfiguration;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Base of every {@code *IntegrationTests} class: one Spring context for the whole suite (same
 * configuration, so Spring's context cache shares it), a fresh PostgreSQL database, the machine's
 * Redis under a per-JVM key prefix, and the one in-process Kafka broker.
 *
 * <p>Every exchange of {@link #web} is checked against {@code contracts/openapi.yaml}
 * ({@link ContractTestConfiguration}), so each integration test is also a contract test.
 *
 * <p>Subclasses must not add configuration of their own, or they start a second context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "30s")
@ActiveProfiles("test")
@Import(ContractTestConfiguration.class)
public abstract class IntegrationTest {

  /** Redis key prefix of this JVM, so parallel or earlier runs never share counters. */
  public static final String REDIS_PREFIX = "malipo-test-" + ProcessHandle.current().pid() + "-"
      + Integer.toHexString(ThreadLocalRandom.current().nextInt()) + ":";

  @Autowired protected WebTestClient web;

  @DynamicPropertySource
  static void infrastructure(DynamicPropertyRegistry registry) {
    registry.add("spring.r2dbc.url", TestDatabase::r2dbcUrl);
    registry.add("spring.flyway.url", TestDatabase::jdbcUrl);
    registry.add("malipo.kafka.bootstrap-servers", InProcessKafka::bootstrapServers);
    registry.add("malipo.redis.key-prefix", () -> REDIS_PREFIX);
  }
}
