package org.malipo.gateway.events;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.kafka.sender.KafkaSender;
import reactor.kafka.sender.SenderOptions;
import reactor.kafka.sender.SenderRecord;

/**
 * {@link EventPublisher} on Reactor Kafka: idempotent producer, {@code acks=all}, bounded
 * in-flight sends, and short client timeouts so an unreachable broker fails a batch (which then
 * stays in the outbox) instead of hanging.
 */
@Component
final class ReactorKafkaPublisher implements EventPublisher, AutoCloseable {

  private final KafkaSender<String, String> sender;
  private final String topic;

  ReactorKafkaPublisher(KafkaProperties properties) {
    Map<String, Object> config = properties.clientConfig(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, properties.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5,
        ProducerConfig.LINGER_MS_CONFIG, 2,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000,
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    // maxInFlight bounds the records reactor-kafka keeps un-acknowledged in memory.
    this.sender = KafkaSender.create(SenderOptions.<String, String>create(config).maxInFlight(1_024));
    this.topic = properties.topic();
  }

  @Override
  public Mono<Void> publish(List<OutboxEvent> events) {
    Flux<SenderRecord<String, String, Long>> records = Flux.fromIterable(events).map(event -> {
      ProducerRecord<String, String> record = new ProducerRecord<>(topic, event.aggregateId(), event.payload());
      record.headers().add("event_id", event.eventId().getBytes(StandardCharsets.UTF_8));
      record.headers().add("event_type", event.type().getBytes(StandardCharsets.UTF_8));
      if (event.traceparent() != null) {
        // W3C Trace Context in the record: a consumer joins the trace of the payment that wrote it.
        record.headers().add(EventConsumer.TRACEPARENT_HEADER, event.traceparent().getBytes(StandardCharsets.UTF_8));
      }
      return SenderRecord.create(record, event.outboxId());
    });
    return sender.send(records)
        .flatMap(result -> result.exception() == null ? Mono.empty() : Mono.error(result.exception()), 1)
        .then();
  }

  @Override
  public void close() {
    sender.close();
  }
}
