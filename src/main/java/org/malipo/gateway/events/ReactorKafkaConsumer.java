package org.malipo.gateway.events;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.kafka.receiver.KafkaReceiver;
import reactor.kafka.receiver.ReceiverOptions;
import reactor.kafka.receiver.ReceiverRecord;
import reactor.util.retry.Retry;

/**
 * {@link EventConsumer} on Reactor Kafka: auto-commit off; the records of one poll are handed over
 * as one batch, their offsets acknowledged after the handler completed, and only acknowledged
 * offsets are committed (every 200 ms or 100 records).
 * Reactor Kafka pauses the partitions while downstream has no demand, so memory stays bounded by
 * {@code max.poll.records}.
 */
@Component
final class ReactorKafkaConsumer implements EventConsumer {

  private static final Logger log = LoggerFactory.getLogger(ReactorKafkaConsumer.class);
  private static final int MAX_POLL_RECORDS = 100;

  private final KafkaProperties properties;

  ReactorKafkaConsumer(KafkaProperties properties) {
    this.properties = properties;
  }

  @Override
  public Disposable consume(String groupId, Function<List<ConsumedEvent>, Mono<Void>> handler) {
    Map<String, Object> config = properties.clientConfig(Map.ofEntries(
        Map.entry(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, properties.bootstrapServers()),
        Map.entry(ConsumerConfig.GROUP_ID_CONFIG, groupId),
        // A new group starts at the beginning: events published before the first start are
        // still delivered (deliveries only go to endpoints that existed when the event occurred).
        Map.entry(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        Map.entry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
        Map.entry(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS),
        // Under load the broker answers a fetch once 16 KiB (~15 events) are there, not at the
        // first byte: far fewer fetch round trips for the broker and this consumer, and at most
        // 100 ms more before a quiet topic's event is handled (docs/performance.md).
        Map.entry(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 16 * 1024),
        Map.entry(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100),
        Map.entry(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000),
        Map.entry(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000),
        Map.entry(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class),
        // The topic is created by the relay with its replication factor (KafkaAdmin), never by a
        // consumer's metadata request with the broker's defaults.
        Map.entry(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false),
        Map.entry(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class)));
    ReceiverOptions<String, String> options = ReceiverOptions.<String, String>create(config)
        .subscription(List.of(properties.topic()))
        .commitInterval(Duration.ofMillis(200))
        .commitBatchSize(MAX_POLL_RECORDS);
    // One poll's records (at most max.poll.records) as one batch: the handler can read what the
    // batch needs once instead of once per event (docs/performance.md).
    return KafkaReceiver.create(options).receiveBatch()
        .concatMap(poll -> poll.collectList().flatMap(records -> handleBatch(records, handler)), 1)
        // Never skip an event: after the bounded retries, start again from the last commit.
        .doOnError(error -> log.warn("event consumer {} failed, restarting from the last committed offset: {}",
            groupId, error.toString()))
        .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1)).maxBackoff(Duration.ofSeconds(30)))
        .subscribe();
  }

  private static Mono<Void> handleBatch(List<ReceiverRecord<String, String>> records,
      Function<List<ConsumedEvent>, Mono<Void>> handler) {
    if (records.isEmpty()) {
      return Mono.empty();
    }
    List<ConsumedEvent> events = records.stream().map(ReactorKafkaConsumer::toEvent).toList();
    return Mono.defer(() -> handler.apply(events))
        .retryWhen(Retry.backoff(5, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(5)))
        .then(Mono.fromRunnable(() -> records.forEach(record -> record.receiverOffset().acknowledge())));
  }

  private static ConsumedEvent toEvent(ReceiverRecord<String, String> record) {
    return new ConsumedEvent(record.key(), header(record, "event_id"), record.value(),
        header(record, EventConsumer.TRACEPARENT_HEADER));
  }

  private static String header(ConsumerRecord<String, String> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
