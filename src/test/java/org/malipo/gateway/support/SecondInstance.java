package org.malipo.gateway.support;

import java.time.Duration;
import org.malipo.gateway.MalipoApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * A second gateway instance in the same JVM, on its own port, sharing the test database, Redis
 * and Kafka with the main test context: how the gateway scales out, so correctness across
 * instances can be tested. Started once per JVM, on first use, and closed at exit.
 */
public final class SecondInstance {

  private static ConfigurableApplicationContext context;
  private static final java.util.Map<java.util.List<String>, ConfigurableApplicationContext> VARIANTS =
      new java.util.HashMap<>();

  private SecondInstance() {}

  /** The running second instance's context (started on first call). */
  public static synchronized ConfigurableApplicationContext context() {
    if (context == null) {
      context = new SpringApplicationBuilder(MalipoApplication.class)
          .profiles("test")
          // Command-line arguments: they outrank application.yml (builder properties would not).
          .run("--server.port=0",
              "--spring.r2dbc.url=" + TestDatabase.r2dbcUrl(),
              "--spring.flyway.url=" + TestDatabase.jdbcUrl(),
              "--malipo.kafka.bootstrap-servers=" + InProcessKafka.bootstrapServers(),
              "--malipo.redis.key-prefix=" + IntegrationTest.REDIS_PREFIX,
              // It has its own sandbox rails: it must not pick up the main instance's callbacks or
              // pending and unknown payments, whose status queries belong to the main sandbox.
              "--malipo.callbacks.poll-interval=1h",
              "--malipo.callbacks.sweep-interval=1h");
      ConfigurableApplicationContext started = context;
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "second-instance-stop"));
    }
    return context;
  }

  /** Every gateway this class started so far in this JVM (the second instance and the variants). */
  public static synchronized java.util.List<ConfigurableApplicationContext> running() {
    java.util.List<ConfigurableApplicationContext> all = new java.util.ArrayList<>(VARIANTS.values());
    if (context != null) {
      all.add(context);
    }
    return all;
  }

  /**
   * A further, differently configured gateway on the same database, Redis and Kafka (for example
   * pointed at a dead Redis port): started once per JVM per set of overrides and closed at exit,
   * like the second instance. Never close it in a test: closing a Boot context disposes Reactor
   * Netty's global loop resources, which every other gateway of this JVM runs on.
   *
   * @param overrides command-line properties ({@code --name=value}) added to the usual ones
   */
  public static synchronized ConfigurableApplicationContext startVariant(String... overrides) {
    return VARIANTS.computeIfAbsent(java.util.List.of(overrides), key -> {
      java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--server.port=0",
          "--spring.r2dbc.url=" + TestDatabase.r2dbcUrl(),
          "--spring.flyway.url=" + TestDatabase.jdbcUrl(),
          "--malipo.kafka.bootstrap-servers=" + InProcessKafka.bootstrapServers(),
          "--malipo.redis.key-prefix=" + IntegrationTest.REDIS_PREFIX,
          "--malipo.callbacks.poll-interval=1h", "--malipo.callbacks.sweep-interval=1h"));
      args.addAll(key);
      ConfigurableApplicationContext started =
          new SpringApplicationBuilder(MalipoApplication.class).profiles("test").run(args.toArray(String[]::new));
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "variant-instance-stop"));
      return started;
    });
  }

  /** A client of a running gateway context (no contract validation: for other instances). */
  public static WebTestClient clientOf(ConfigurableApplicationContext gateway) {
    String port = gateway.getEnvironment().getProperty("local.server.port");
    return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(30)).build();
  }

  /** A client of the second instance. */
  public static WebTestClient client() {
    String port = context().getEnvironment().getProperty("local.server.port");
    return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(30)).build();
  }

  /** A bean of the second instance. */
  public static <T> T bean(Class<T> type) {
    return context().getBean(type);
  }
}
