package org.malipo.gateway.support;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads the payment events topic of the in-process broker from the start, for assertions. */
public final class PaymentEvents {

  private PaymentEvents() {}

  /**
   * Polls {@code topic} until an event of {@code type} keyed by {@code paymentId} arrives.
   *
   * @return the record, or empty after {@code timeout}
   */
  public static Optional<ConsumerRecord<String, String>> await(String topic, String paymentId, String type, Duration timeout) {
    Map<String, Object> config = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, InProcessKafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
      consumer.subscribe(List.of(topic));
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          if (paymentId.equals(record.key()) && record.value().contains("\"type\":\"" + type + "\"")) {
            return Optional.of(record);
          }
        }
      }
    }
    return Optional.empty();
  }
}
