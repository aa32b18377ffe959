package org.malipo.gateway.support;

import kafka.testkit.KafkaClusterTestKit;
import kafka.testkit.TestKitNodes;
import org.apache.kafka.common.utils.Exit;

/**
 * One real single-node KRaft Kafka broker (combined broker and controller) per JVM, started from
 * Apache Kafka's own server code on first use and closed when the JVM exits.
 *
 * <p>Used by the local run ({@code ./mvnw spring-boot:test-run}) and by every integration test, so
 * the whole test suite pays the start-up (about 2-3 s) once.
 */
public final class InProcessKafka {

  private static KafkaClusterTestKit cluster;
  private static String bootstrapServers;

  private InProcessKafka() {}

  /**
   * Starts the broker if it is not running yet.
   *
   * @return the bootstrap servers, {@code host:port}
   * @throws IllegalStateException if the broker cannot start
   */
  public static synchronized String bootstrapServers() {
    if (bootstrapServers == null) {
      start();
    }
    return bootstrapServers;
  }

  private static void start() {
    // A broker or controller that hits a fatal fault (typically while the JVM is shutting down)
    // calls Exit.halt; in a test JVM that would turn a green run into a crashed fork. Kafka's own
    // tests replace these procedures the same way.
    Exit.setHaltProcedure((status, message) -> { });
    Exit.setExitProcedure((status, message) -> { });
    try {
      TestKitNodes nodes = new TestKitNodes.Builder()
          .setCombined(true)
          .setNumBrokerNodes(1)
          .setNumControllerNodes(1)
          .build();
      KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(nodes)
          .setConfigProp("offsets.topic.replication.factor", "1")
          .setConfigProp("offsets.topic.num.partitions", "4")
          .setConfigProp("transaction.state.log.replication.factor", "1")
          .setConfigProp("transaction.state.log.min.isr", "1")
          .setConfigProp("group.initial.rebalance.delay.ms", "0")
          .setConfigProp("auto.create.topics.enable", "true")
          .setConfigProp("num.partitions", "4")
          .build();
      kit.format();
      kit.startup();
      kit.waitForReadyBrokers();
      cluster = kit;
      bootstrapServers = kit.bootstrapServers();
      Runtime.getRuntime().addShutdownHook(new Thread(InProcessKafka::stop, "in-process-kafka-stop"));
    } catch (Exception e) {
      throw new IllegalStateException("could not start the in-process Kafka broker", e);
    }
  }

  private static synchronized void stop() {
    if (cluster != null) {
      try {
        cluster.close();
      } catch (Exception ignored) {
        // The JVM is exiting; the broker's temporary directories go with it.
      }
      cluster = null;
    }
  }
}
