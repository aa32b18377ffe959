package org.malipo.gateway.events;

import java.util.List;
import reactor.core.publisher.Mono;

/**
 * The one port through which events leave the gateway. Reactor Kafka is no longer developed
 * upstream; keeping it behind this interface lets it be replaced in one class
 * (docs/adr/0002-kafka-client.md).
 */
public interface EventPublisher {

  /**
   * Publishes events durably ({@code acks=all}), keyed by aggregate id.
   *
   * @param events in outbox order; one aggregate's events must stay in this order
   * @return completes when every event is acknowledged; errors if any is not
   */
  Mono<Void> publish(List<OutboxEvent> events);

  /**
   * An outbox row on its way out.
   *
   * @param outboxId the row's id
   * @param eventId {@code evt_…}, also a Kafka header for consumers' de-duplication
   * @param aggregateId the Kafka key
   * @param type the event type
   * @param payload the event JSON
   */
  record OutboxEvent(long outboxId, String eventId, String aggregateId, String type, String payload, String traceparent) {

    /** An event written without trace context. */
    OutboxEvent(long outboxId, String eventId, String aggregateId, String type, String payload) {
      this(outboxId, eventId, aggregateId, type, payload, null);
    }
  }
}
