package org.malipo.gateway.events;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Kafka administration without blocking: the events topic and a cluster probe for health. */
@Component
final class KafkaAdmin implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KafkaAdmin.class);

  private final AdminClient admin;
  private final KafkaProperties properties;

  KafkaAdmin(KafkaProperties properties) {
    this.properties = properties;
    this.admin = AdminClient.create(properties.clientConfig(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, properties.bootstrapServers(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000)));
  }

  /**
   * Makes sure the events topic exists before anything is published to it, so a broker never
   * creates it with its own defaults (often one replica): an existing topic is described (and a
   * warning logged when it has fewer replicas than configured); a missing one is created with
   * {@code topic-partitions}, {@code topic-replication-factor} and {@code min.insync.replicas}, or,
   * with {@code topic-create=false}, reported as an error so the relay waits for it.
   *
   * @return completes when the topic exists; errors while Kafka is unreachable, the cluster has
   *     too few brokers for the replication factor, or the topic is missing and may not be created
   */
  Mono<Void> ensureTopic() {
    return describeTopic()
        .doOnNext(this::warnIfUnderReplicated)
        .then()
        .onErrorResume(UnknownTopicOrPartitionException.class, missing -> createTopic());
  }

  private Mono<TopicDescription> describeTopic() {
    return Mono.fromFuture(() -> admin.describeTopics(List.of(properties.topic())).allTopicNames()
            .toCompletionStage().toCompletableFuture())
        .map(topics -> topics.get(properties.topic()))
        .onErrorMap(error -> error.getCause() instanceof UnknownTopicOrPartitionException ? error.getCause() : error);
  }

  private Mono<Void> createTopic() {
    if (!properties.topicCreate()) {
      return Mono.error(new IllegalStateException("topic " + properties.topic()
          + " does not exist and malipo.kafka.topic-create is false: events wait in the outbox until it is created"));
    }
    NewTopic topic = new NewTopic(properties.topic(), properties.topicPartitions(), properties.topicReplicationFactor())
        .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, String.valueOf(properties.topicMinInsyncReplicas())));
    return Mono.fromFuture(() -> admin.createTopics(List.of(topic)).all().toCompletionStage().toCompletableFuture())
        .doOnSuccess(created -> log.info("created topic {}: {} partitions, replication factor {}, min.insync.replicas {}",
            properties.topic(), properties.topicPartitions(), properties.topicReplicationFactor(),
            properties.topicMinInsyncReplicas()))
        .onErrorResume(error -> error instanceof TopicExistsException
            || error.getCause() instanceof TopicExistsException, error -> Mono.empty())
        .then();
  }

  private void warnIfUnderReplicated(TopicDescription topic) {
    int replicas = topic.partitions().isEmpty() ? 0 : topic.partitions().getFirst().replicas().size();
    if (replicas < properties.topicReplicationFactor()) {
      log.warn("topic {} exists with replication factor {}, below malipo.kafka.topic-replication-factor {}: "
          + "raise it with kafka-reassign-partitions", topic.name(), replicas, properties.topicReplicationFactor());
    }
  }

  /**
   * The cluster id, proving a broker answers.
   *
   * @param timeout longest wait
   */
  Mono<String> clusterId(Duration timeout) {
    return Mono.fromFuture(() -> admin.describeCluster().clusterId().toCompletionStage().toCompletableFuture())
        .timeout(timeout);
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(2));
  }
}
