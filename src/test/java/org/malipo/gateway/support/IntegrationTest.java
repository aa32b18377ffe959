package org.malipo.gateway.support;

import java.util.concurrent.ThreadLocalRandom;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Base of every {@code *IntegrationTests} class: one Spring context for the whole suite (same
 * configuration, so Spring's context cache shares it), a fresh PostgreSQL database, the machine's
 * Redis under a per-JVM key prefix, and the one in-process Kafka broker.
 *
 * <p>Subclasses must not add configuration of their own, or they start a second context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "30s")
@ActiveProfiles("test")
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
