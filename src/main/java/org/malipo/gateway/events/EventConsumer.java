package org.malipo.gateway.events;

import java.util.List;
import java.util.function.Function;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * The one port through which the gateway reads its own events topic back (the webhook dispatcher
 * does). Like {@link EventPublisher}, it keeps Reactor Kafka replaceable in one class
 * (docs/adr/0002-kafka-client-behind-a-port.md).
 */
public interface EventConsumer {

  /**
   * Starts consuming {@code malipo.payments.v1} as consumer group {@code groupId}.
   *
   * <p>Events reach {@code handler} in batches of what one fetch brought (1 to 100 events, never
   * empty), each batch in partition order, one batch at a time, with backpressure: no more is
   * fetched while the handler is busy. A batch's offsets are committed only after the Mono the
   * handler returned completed, so an event is handled at least once; the handler must be
   * idempotent by {@link ConsumedEvent#eventId()}. A handler error is retried, for the whole batch,
   * with bounded back-off; if it keeps failing the subscription restarts from the last committed
   * offset, so no event is ever skipped.
   *
   * @param groupId the Kafka consumer group
   * @param handler records what the batch's events need; completes when that is durable
   * @return disposing it stops consuming
   */
  Disposable consume(String groupId, Function<List<ConsumedEvent>, Mono<Void>> handler);

  /**
   * An event read from the topic.
   *
   * @param aggregateId the Kafka key (payment id)
   * @param eventId {@code evt_…}
   * @param payload the event JSON exactly as published
   */
  record ConsumedEvent(String aggregateId, String eventId, String payload, String traceparent) {

    /** An event consumed without trace context. */
    public ConsumedEvent(String aggregateId, String eventId, String payload) {
      this(aggregateId, eventId, payload, null);
    }
  }

  /** Kafka record header of the W3C traceparent of the span that wrote the event (issue 24). */
  String TRACEPARENT_HEADER = "traceparent";
}
