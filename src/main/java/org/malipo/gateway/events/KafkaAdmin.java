package org.malipo.gateway.events;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Kafka administration without blocking: topic creation and a cluster probe for readiness. */
@Component
final class KafkaAdmin implements AutoCloseable {

  private final AdminClient admin;
  private final KafkaProperties properties;

  KafkaAdmin(KafkaProperties properties) {
    this.properties = properties;
    this.admin = AdminClient.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, properties.bootstrapServers(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000));
  }

  /** Creates the events topic if it does not exist; completes also when it already does. */
  Mono<Void> ensureTopic() {
    NewTopic topic = new NewTopic(properties.topic(), properties.topicPartitions(), properties.topicReplicationFactor());
    return Mono.fromFuture(() -> admin.createTopics(List.of(topic)).all().toCompletionStage().toCompletableFuture())
        .onErrorResume(error -> error instanceof TopicExistsException
            || error.getCause() instanceof TopicExistsException, error -> Mono.empty())
        .then();
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
