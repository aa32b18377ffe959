package org.malipo.gateway.events;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Kafka and outbox relay settings ({@code malipo.kafka.*}).
 *
 * @param bootstrapServers {@code host:port[,host:port]}
 * @param topic the payment events topic, {@code malipo.payments.v1}
 * @param topicPartitions partitions when the gateway creates the topic; default 6
 * @param topicReplicationFactor replication factor when the gateway creates the topic; default 3
 *     (the local and test profiles' one-node broker: 1; production refuses less than 2)
 * @param topicMinInsyncReplicas the topic's {@code min.insync.replicas} when the gateway creates
 *     it: with {@code acks=all} a write then survives the loss of a broker; default 2, at most the
 *     replication factor
 * @param topicCreate whether the gateway creates a missing topic (with the settings above) before
 *     it publishes; false when the platform creates topics: the relay then waits for it. The
 *     gateway never lets a broker auto-create it (with the broker's defaults); default true
 * @param relayPollInterval how often the relay looks for unpublished rows when nobody wakes it
 * @param relayBatchSize outbox rows per Kafka batch
 * @param relayMinGap least time between the end of one relay pass and the start of the next: under
 *     load every commit wakes the relay, and spacing the passes lets one pass carry the events of
 *     many payments (fewer transactions and Kafka requests) at the price of at most this much more
 *     event latency; 20 ms by default
 * @param publishTimeout longest wait for one batch's acknowledgements
 * @param properties Kafka client settings passed through to the producer, consumer and admin
 *     client ({@code malipo.kafka.properties.security.protocol=SASL_SSL},
 *     {@code …sasl.mechanism}, {@code …sasl.jaas.config}, {@code …ssl.truststore.location}, …;
 *     as environment variables {@code MALIPO_KAFKA_PROPERTIES_SECURITY_PROTOCOL} and so on). They
 *     cannot replace what the gateway sets itself (bootstrap servers, acknowledgements,
 *     idempotence, serializers, offsets, timeouts): see {@link #clientConfig}
 */
@ConfigurationProperties("malipo.kafka")
public record KafkaProperties(
    String bootstrapServers,
    String topic,
    Integer topicPartitions,
    Short topicReplicationFactor,
    Short topicMinInsyncReplicas,
    Boolean topicCreate,
    Duration relayPollInterval,
    Integer relayBatchSize,
    Duration relayMinGap,
    Duration publishTimeout,
    Map<String, String> properties) {

  public KafkaProperties {
    topic = topic == null ? "malipo.payments.v1" : topic;
    topicPartitions = topicPartitions == null ? 6 : topicPartitions;
    topicReplicationFactor = topicReplicationFactor == null ? 3 : topicReplicationFactor;
    topicMinInsyncReplicas = (short) Math.min(topicMinInsyncReplicas == null ? 2 : topicMinInsyncReplicas,
        topicReplicationFactor);
    topicCreate = topicCreate == null || topicCreate;
    relayPollInterval = relayPollInterval == null ? Duration.ofMillis(500) : relayPollInterval;
    relayBatchSize = relayBatchSize == null ? 500 : relayBatchSize;
    relayMinGap = relayMinGap == null ? Duration.ofMillis(20) : relayMinGap;
    publishTimeout = publishTimeout == null ? Duration.ofSeconds(20) : publishTimeout;
    properties = properties == null ? Map.of() : Map.copyOf(properties);
    if (topicPartitions < 1 || topicReplicationFactor < 1 || topicMinInsyncReplicas < 1) {
      throw new IllegalArgumentException("malipo.kafka.topic-partitions, topic-replication-factor and "
          + "topic-min-insync-replicas must be at least 1");
    }
  }

  /**
   * A Kafka client's configuration: the pass-through {@link #properties} first, then the
   * gateway's own settings, which win (a pass-through cannot weaken {@code acks=all} or
   * idempotence).
   *
   * @param own the client's settings, bootstrap servers included
   * @return a new mutable map
   */
  Map<String, Object> clientConfig(Map<String, Object> own) {
    Map<String, Object> config = new HashMap<>(properties);
    config.putAll(own);
    return config;
  }

  @Override
  public String toString() {
    // Pass-through values may hold credentials (sasl.jaas.config): names only.
    return "KafkaProperties[bootstrapServers=" + bootstrapServers + ", topic=" + topic + ", topicPartitions="
        + topicPartitions + ", topicReplicationFactor=" + topicReplicationFactor + ", properties="
        + properties.keySet() + "]";
  }
}
