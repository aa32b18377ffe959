package org.malipo.gateway.webhook;

import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.events.EventConsumer.ConsumedEvent;
import org.malipo.gateway.events.EventConsumer;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Consumes {@code malipo.payments.v1} and records one pending delivery per (event, live enabled
 * endpoint of the event's merchant subscribed to its type, created before the event occurred),
 * all in one transaction; the offset is committed only after that transaction (via
 * {@link EventConsumer}). Sending is the {@link DeliveryDispatcher}'s job, woken here.
 */
@Component
final class DeliveryRecorder extends BackgroundJob {

  /** Most endpoints one event fans out to concurrently while recording. */
  private static final int RECORD_CONCURRENCY = 4;

  private final EventConsumer consumer;
  private final WebhookEndpoints endpoints;
  private final WebhookDeliveries deliveries;
  private final DeliveryDispatcher dispatcher;
  private final WebhookProperties properties;
  private final TransactionalOperator tx;
  private final JsonMapper json;

  DeliveryRecorder(EventConsumer consumer, WebhookEndpoints endpoints, WebhookDeliveries deliveries,
      DeliveryDispatcher dispatcher, WebhookProperties properties, ReactiveTransactionManager transactions,
      JsonMapper json) {
    this.consumer = consumer;
    this.endpoints = endpoints;
    this.deliveries = deliveries;
    this.dispatcher = dispatcher;
    this.properties = properties;
    this.tx = TransactionalOperator.create(transactions);
    this.json = json;
  }

  /** Records the deliveries of one event; idempotent by (endpoint, event id). */
  Mono<Void> handle(ConsumedEvent event) {
    JsonNode tree = json.readTree(event.payload());
    String eventId = tree.path("id").asString();
    String type = tree.path("type").asString();
    String merchantId = tree.path("merchant_id").asString();
    java.time.Instant occurredAt = java.time.Instant.parse(tree.path("occurred_at").asString());
    // The endpoints are read before the transaction (READ COMMITTED: the same snapshot rule either
    // way), so an event no endpoint listens to (the common case) costs one statement, not three.
    // At most max-endpoints-per-merchant (16) endpoints are collected.
    return endpoints.subscribed(merchantId, type)
        // An endpoint registered after the event was not listening to it.
        .filter(endpoint -> !endpoint.createdAt().isAfter(occurredAt))
        .collectList()
        .flatMap(listening -> listening.isEmpty() ? Mono.just(0L)
            : tx.transactional(Flux.fromIterable(listening)
                .flatMap(endpoint -> deliveries.record(endpoint.id(), merchantId, eventId, type, event.payload(), false),
                    RECORD_CONCURRENCY)
                .count()))
        .doOnNext(count -> {
          if (count > 0) {
            dispatcher.wakeUp();
          }
        })
        .then();
  }

  /**
   * A merchant's redelivery: one new manual delivery of the stored event to each live enabled
   * endpoint subscribed to its type.
   *
   * @return the new delivery ids
   */
  Flux<String> redeliver(String merchantId, String eventId, String type, String payload) {
    return tx.transactional(endpoints.subscribed(merchantId, type)
            .concatMap(endpoint -> deliveries.record(endpoint.id(), merchantId, eventId, type, payload, true)))
        .doOnComplete(dispatcher::wakeUp);
  }

  @Override
  protected Disposable launch() {
    return consumer.consume(properties.consumerGroup(), this::handle);
  }
}
