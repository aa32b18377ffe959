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
 * @param relayMinGap least time between the end of one relay pass and the start of the next: under
 *     load every commit wakes the relay, and spacing the passes lets one pass carry the events of
 *     many payments (fewer transactions and Kafka requests) at the price of at most this much more
 *     event latency; 20 ms by default
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
    Duration relayMinGap,
    Duration publishTimeout) {

  public KafkaProperties {
    topic = topic == null ? "malipo.payments.v1" : topic;
    topicPartitions = topicPartitions == null ? 6 : topicPartitions;
    topicReplicationFactor = topicReplicationFactor == null ? 1 : topicReplicationFactor;
    relayPollInterval = relayPollInterval == null ? Duration.ofMillis(500) : relayPollInterval;
    relayBatchSize = relayBatchSize == null ? 500 : relayBatchSize;
    relayMinGap = relayMinGap == null ? Duration.ofMillis(20) : relayMinGap;
    publishTimeout = publishTimeout == null ? Duration.ofSeconds(20) : publishTimeout;
  }
}
