package org.malipo.gateway.simulation;

import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.malipo.gateway.MalipoApplication;
import org.malipo.gateway.payment.CardAuthentication;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailLimits;
import org.malipo.gateway.rail.RailRegistry;
import org.malipo.gateway.rail.ResilientRail;
import org.malipo.gateway.support.InProcessKafka;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestDatabase;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * The gateway the simulation drives: a real application context, started once per JVM on its own
 * database, whose only differences from production wiring are at the edges. Its
 * {@link RailRegistry} holds {@link ScriptedRail}s (each in the real {@code ResilientRail}); its
 * R2DBC connection factory and Redis connection factory go through {@link FaultyDatabase} and
 * {@link FaultyRedis}; its reconciler and callback processor never tick by themselves (the
 * simulation runs their passes); its issuer challenges every card of {@link #CHALLENGED_BIN} with
 * 3-D Secure. Everything between, from the pipeline to the one writer, the
 * reconciler and the callback processor, is the production code.
 *
 * <p>Events go to a topic of their own, so no consumer of the shared test context sees them.
 */
final class SimulationInstance {

  static final String CARD_A = "sim_card_a";
  static final String CARD_B = "sim_card_b";
  static final String MPESA = "sim_mpesa";
  /** Cards the simulation's issuer challenges with 3-D Secure. */
  static final String CHALLENGED_BIN = "400000";

  private static SimulationInstance instance;

  private final ConfigurableApplicationContext context;
  private final FaultyDatabase database = new FaultyDatabase();
  private final FaultyRedis redis = new FaultyRedis();
  private final AtomicReference<ScriptedRail.World> world = new AtomicReference<>();
  private final List<ScriptedRail> rails = List.of(
      new ScriptedRail(CARD_A, ScriptedRail.Kind.CARD, world::get),
      new ScriptedRail(CARD_B, ScriptedRail.Kind.CARD, world::get),
      new ScriptedRail(MPESA, ScriptedRail.Kind.MPESA, world::get));

  private SimulationInstance() {
    String name = TestDatabase.createAnother("simulation");
    BeanPostProcessor edges = new BeanPostProcessor() {
      @Override
      public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof ConnectionFactory factory && beanName.equals("connectionFactory")) {
          return database.wrap(factory);
        }
        if (bean instanceof RailRegistry) {
          // Generous limits: the time limiter never fires by itself (a timeout is scripted), and
          // the circuit never opens, so routing depends on nothing but the seed.
          RailLimits limits = new RailLimits(Duration.ofSeconds(60), 10_000, 1_000_000, 100f, 100f,
              Duration.ofSeconds(60), 1_000, 1_000, Duration.ofSeconds(1), 1);
          return new RailRegistry(rails.stream().<RailAdapter>map(rail -> ResilientRail.of(rail, limits)).toList());
        }
        if (bean instanceof ReactiveStringRedisTemplate template) {
          return new ReactiveStringRedisTemplate(redis.wrap(template.getConnectionFactory()));
        }
        return bean;
      }
    };
    context = new SpringApplicationBuilder(MalipoApplication.class)
        .profiles("test")
        .initializers(applicationContext -> {
          applicationContext.getBeanFactory().addBeanPostProcessor(edges);
          // The issuer's 3-D Secure rule of the simulation: every card of BIN 400000 is challenged
          // (each payment has a card of its own, so velocity rules stay quiet).
          ((org.springframework.context.support.GenericApplicationContext) applicationContext).registerBean(
              "simulationCardAuthentication", CardAuthentication.class,
              () -> (card, livemode) -> card.number().startsWith(CHALLENGED_BIN), definition -> definition.setPrimary(true));
        })
        .run("--server.port=0",
            "--spring.r2dbc.url=r2dbc:postgresql://" + TestDatabase.HOST + ":" + TestDatabase.PORT + "/" + name,
            "--spring.flyway.url=jdbc:postgresql://" + TestDatabase.HOST + ":" + TestDatabase.PORT + "/" + name,
            "--malipo.kafka.bootstrap-servers=" + InProcessKafka.bootstrapServers(),
            "--malipo.kafka.topic=malipo.simulation.v1",
            "--malipo.redis.key-prefix=" + IntegrationTest.REDIS_PREFIX + "simulation:",
            // The simulation runs every pass itself, at the step its seed says.
            "--malipo.callbacks.poll-interval=1h",
            "--malipo.callbacks.sweep-interval=1h",
            "--malipo.callbacks.processing-first-check=30s",
            "--malipo.callbacks.pending-first-check=30s",
            "--malipo.callbacks.pending-check-interval=10s",
            "--malipo.callbacks.max-attempts=4",
            // The production window, whatever the test profile says: the simulation passes it by
            // moving the rows' clocks back, never by waiting.
            "--malipo.callbacks.unconfirmed-window=24h",
            "--malipo.callbacks.unconfirmed-max-backoff=5m",
            "--malipo.routing.priority[0]=" + CARD_A,
            "--malipo.routing.priority[1]=" + CARD_B,
            "--malipo.routing.exploration-percent=0",
            "--malipo.payments.answer-timeout=60s");
    ConfigurableApplicationContext started = context;
    Runtime.getRuntime().addShutdownHook(new Thread(started::close, "simulation-instance-stop"));
  }

  /** The running instance (started on first call, about 5 s). */
  static synchronized SimulationInstance get() {
    if (instance == null) {
      instance = new SimulationInstance();
    }
    return instance;
  }

  ConfigurableApplicationContext context() {
    return context;
  }

  DatabaseClient db() {
    return context.getBean(DatabaseClient.class);
  }

  FaultyDatabase database() {
    return database;
  }

  FaultyRedis redis() {
    return redis;
  }

  /** Installs the world the scripted rails answer from (one per seed). */
  void world(ScriptedRail.World next) {
    world.set(next);
  }
}
