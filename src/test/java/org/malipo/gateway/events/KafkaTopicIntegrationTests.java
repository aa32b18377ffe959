package org.malipo.gateway.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.InProcessKafka;
import reactor.test.StepVerifier;

/**
 * The events topic against the real one-node broker: the gateway creates it with its configured
 * partitions, replication factor and {@code min.insync.replicas}, and when the cluster cannot give
 * the replication factor it creates nothing (so no publish lets the broker auto-create it).
 */
class KafkaTopicIntegrationTests {

  private static AdminClient probe;

  @BeforeAll
  static void connect() {
    probe = AdminClient.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, InProcessKafka.bootstrapServers()));
  }

  @AfterAll
  static void close() {
    probe.close(Duration.ofSeconds(2));
  }

  private static KafkaProperties properties(String topic, int partitions, int replicas, boolean create) {
    return new KafkaProperties(InProcessKafka.bootstrapServers(), topic, partitions, (short) replicas, null, create,
        null, null, null, null, null);
  }

  private static boolean exists(String topic) throws Exception {
    return probe.listTopics().names().get().contains(topic);
  }

  @Test
  void createsAMissingTopicWithTheConfiguredPartitionsAndReplicas() throws Exception {
    String name = "malipo.topic-test." + UUID.randomUUID();
    try (KafkaAdmin admin = new KafkaAdmin(properties(name, 3, 1, true))) {
      admin.ensureTopic().as(StepVerifier::create).verifyComplete();
      admin.ensureTopic().as(StepVerifier::create).as("an existing topic is fine").verifyComplete();
    }

    TopicDescription topic = probe.describeTopics(List.of(name)).allTopicNames().get().get(name);
    assertThat(topic.partitions()).hasSize(3);
    assertThat(topic.partitions().getFirst().replicas()).hasSize(1);
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
    assertThat(probe.describeConfigs(List.of(resource)).all().get().get(resource).get("min.insync.replicas").value())
        .isEqualTo("1");
  }

  @Test
  void createsNothingWhenTheClusterCannotReplicateAsConfigured() throws Exception {
    String name = "malipo.topic-test." + UUID.randomUUID();
    try (KafkaAdmin admin = new KafkaAdmin(properties(name, 6, 3, true))) {
      admin.ensureTopic().as(StepVerifier::create)
          .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(InvalidReplicationFactorException.class))
          .verify(Duration.ofSeconds(30));
    }
    assertThat(exists(name)).isFalse();
  }

  @Test
  void waitsForTheTopicWhenTheGatewayMayNotCreateIt() throws Exception {
    String name = "malipo.topic-test." + UUID.randomUUID();
    try (KafkaAdmin admin = new KafkaAdmin(properties(name, 6, 1, false))) {
      admin.ensureTopic().as(StepVerifier::create)
          .expectErrorSatisfies(error -> assertThat(error).hasMessageContaining("topic-create is false"))
          .verify(Duration.ofSeconds(30));
    }
    assertThat(exists(name)).isFalse();
  }
}
