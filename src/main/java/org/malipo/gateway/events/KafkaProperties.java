package org.malipo.gateway.events;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Kafka and outbox relay settings ({@code malipo.kafka.*}).
 *
 * @param bootstrapServers {@code host:port[,host:port]}
 * @param topic the payment events topic, {@code malipo.payments.v1}
 * @param topicPartitions partitions when the gateway creates the topic
 * @param topicReplicationFactor replication factor when the gateway creates the topic
 * @param relayPollInterval how often the relay looks for unpublished rows when nobody wakes it
 * @param relayBatchSize outbox rows per Kafka batch
 * @param publishTimeout longest wait for one batch's acknowledgements
 */
@ConfigurationProperties("malipo.kafka")
public record KafkaProperties(
    String bootstrapServers,
    String topic,
    Integer topicPartitions,
    Short topicReplicationFactor,
    Duration relayPollInterval,
    Integer relayBatchSize,
    Duration publishTimeout) {

  public KafkaProperties {
    topic = topic == null ? "malipo.payments.v1" : topic;
    topicPartitions = topicPartitions == null ? 6 : topicPartitions;
    topicReplicationFactor = topicReplicationFactor == null ? 1 : topicReplicationFactor;
    relayPollInterval = relayPollInterval == null ? Duration.ofMillis(500) : relayPollInterval;
    relayBatchSize = relayBatchSize == null ? 500 : relayBatchSize;
    publishTimeout = publishTimeout == null ? Duration.ofSeconds(20) : publishTimeout;
  }
}
