package org.malipo.gateway.support;

import java.time.Duration;
import kafka.server.BrokerServer;
import kafka.testkit.KafkaClusterTestKit;
import kafka.testkit.TestKitNodes;
import org.apache.kafka.common.network.ListenerName;
import org.malipo.gateway.MalipoApplication;
import org.malipo.gateway.contract.ContractValidatingFilter;
import org.malipo.gateway.contract.OpenApiContract;
import org.malipo.gateway.sandbox.SandboxServer;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * A gateway instance in the test JVM whose every dependency sits behind a {@link TcpProxy} the
 * test controls, so PostgreSQL, Redis, Kafka or the card acquirer can fail for this instance alone
 * while the real servers keep serving the shared test context and other runs (never stop them,
 * never CLIENT PAUSE the real Redis).
 *
 * <ul>
 *   <li>its own database (an outbox no other instance relays), reached by R2DBC through
 *       {@link #postgres()}; Flyway migrates it directly at start-up;
 *   <li>the machine's Redis through {@link #redis()}, under its own key prefix;
 *   <li>its own single-node KRaft broker (the shared one is never disturbed) that advertises the
 *       proxy {@link #kafka()} as its address, so clients keep going through the proxy after the
 *       bootstrap;
 *   <li>{@code acquirer_a} = its in-process sandbox through {@link #acquirer()}, with a 1 s call
 *       timeout; {@code acquirer_b} is the sandbox direct.
 * </ul>
 *
 * <p>Started once per JVM on first use (about 5 s), closed at exit. Each test must
 * {@link #restoreAll()} in a {@code finally} (or {@code @AfterEach}) so the next one finds every
 * dependency back.
 */
public final class ProxiedInstance {

  /** The call timeout of {@code acquirer_a} on this instance. */
  public static final Duration ACQUIRER_TIMEOUT = Duration.ofSeconds(1);

  private static ProxiedInstance instance;

  private final TcpProxy postgres;
  private final TcpProxy redis;
  private final TcpProxy kafka;
  private final TcpProxy acquirer;
  private final KafkaClusterTestKit broker;
  private final ConfigurableApplicationContext context;
  private final String database;

  private ProxiedInstance() throws Exception {
    database = TestDatabase.createAnother("proxied");
    postgres = TcpProxy.start("postgres", TestDatabase.HOST, TestDatabase.PORT);
    redis = TcpProxy.start("redis", "127.0.0.1", 6379);
    kafka = TcpProxy.start("kafka", "127.0.0.1", 0);
    acquirer = TcpProxy.start("acquirer", "127.0.0.1", 0);
    broker = startBroker(kafka);
    context = new SpringApplicationBuilder(MalipoApplication.class)
        .profiles("test")
        .run("--server.port=0",
            "--spring.r2dbc.url=r2dbc:postgresql://127.0.0.1:" + postgres.port() + "/" + database,
            "--spring.flyway.url=jdbc:postgresql://" + TestDatabase.HOST + ":" + TestDatabase.PORT + "/" + database,
            "--spring.data.redis.host=127.0.0.1",
            "--spring.data.redis.port=" + redis.port(),
            "--malipo.redis.key-prefix=" + IntegrationTest.REDIS_PREFIX + "proxied:",
            "--malipo.kafka.bootstrap-servers=" + kafkaBootstrapServers(),
            "--malipo.rails.card.acquirers.[acquirer_a].base-url=http://127.0.0.1:" + acquirer.port() + "/acquirer_a",
            "--malipo.rails.card.acquirers.[acquirer_a].api-key=sandbox-acquirer-key",
            "--malipo.rails.card.acquirers.[acquirer_a].timeout=" + ACQUIRER_TIMEOUT.toMillis() + "ms",
            "--malipo.rails.card.acquirers.[acquirer_b].timeout=5s");
    acquirer.retarget(context.getBean(SandboxServer.class).port());
    ConfigurableApplicationContext started = context;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      started.close();
      try {
        broker.close();
      } catch (Exception ignored) {
        // the JVM is exiting
      }
    }, "proxied-instance-stop"));
  }

  /** The running instance (started on first call). */
  public static synchronized ProxiedInstance get() {
    if (instance == null) {
      try {
        instance = new ProxiedInstance();
      } catch (Exception e) {
        throw new IllegalStateException("could not start the proxied gateway instance", e);
      }
    }
    return instance;
  }

  /** A single-node KRaft broker that tells clients to reach it through {@code proxy}. */
  private static KafkaClusterTestKit startBroker(TcpProxy proxy) throws Exception {
    TestKitNodes nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build();
    KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(nodes)
        .setConfigProp("listeners", "EXTERNAL://127.0.0.1:0,CONTROLLER://127.0.0.1:0")
        .setConfigProp("advertised.listeners", "EXTERNAL://127.0.0.1:" + proxy.port())
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("offsets.topic.num.partitions", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setConfigProp("num.partitions", "2")
        .build();
    kit.format();
    kit.startup();
    BrokerServer server = kit.brokers().values().iterator().next();
    proxy.retarget(server.socketServer().boundPort(ListenerName.normalised("EXTERNAL")));
    kit.waitForReadyBrokers();
    return kit;
  }

  /** R2DBC connections of this instance to PostgreSQL. */
  public TcpProxy postgres() {
    return postgres;
  }

  /** Connections of this instance to Redis. */
  public TcpProxy redis() {
    return redis;
  }

  /** Every connection to this instance's Kafka broker (the gateway's and a test's consumers alike). */
  public TcpProxy kafka() {
    return kafka;
  }

  /** Connections of {@code acquirer_a} to the sandbox acquirer. */
  public TcpProxy acquirer() {
    return acquirer;
  }

  /** Bootstrap servers of this instance's broker, through the proxy. */
  public String kafkaBootstrapServers() {
    return "127.0.0.1:" + kafka.port();
  }

  /** This instance's database (for direct JDBC checks in tests). */
  public String database() {
    return database;
  }

  /** Every proxy forwarding again. */
  public void restoreAll() {
    postgres.restore();
    redis.restore();
    kafka.restore();
    acquirer.restore();
  }

  /** A client of this instance; like the shared one, it checks every exchange against the contract. */
  public WebTestClient client() {
    String port = context.getEnvironment().getProperty("local.server.port");
    return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(30))
        .filter(new ContractValidatingFilter(OpenApiContract.get())).build();
  }

  /** A bean of this instance. */
  public <T> T bean(Class<T> type) {
    return context.getBean(type);
  }
}
