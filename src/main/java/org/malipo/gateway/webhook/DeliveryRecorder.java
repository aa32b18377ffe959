package org.malipo.gateway.webhook;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.malipo.gateway.common.BackgroundJob;
import org.malipo.gateway.events.EventConsumer.ConsumedEvent;
import org.malipo.gateway.events.EventConsumer;
import org.malipo.gateway.webhook.WebhookEndpoints.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
 * a consumed batch in one transaction; the offsets are committed only after that transaction (via
 * {@link EventConsumer}). Sending is the {@link DeliveryDispatcher}'s job, woken here.
 */
@Component
final class DeliveryRecorder extends BackgroundJob {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryRecorder.class);

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

  /**
   * Records the deliveries of one consumed batch of events in one transaction; idempotent by
   * (endpoint, event id). The endpoints of the batch's merchants are read once, before the
   * transaction (READ COMMITTED: the same snapshot rule either way), so a batch that no endpoint
   * listens to (the common case) costs one statement, not one per event.
   */
  Mono<Void> handle(List<ConsumedEvent> batch) {
    List<Occurred> events = batch.stream().map(this::parse).filter(java.util.Objects::nonNull).toList();
    Set<String> merchants = events.stream().map(Occurred::merchantId).collect(Collectors.toCollection(LinkedHashSet::new));
    return endpoints.enabled(merchants)
        .collectMultimap(Endpoint::merchantId)
        .map(byMerchant -> events.stream()
            .flatMap(event -> byMerchant.getOrDefault(event.merchantId(), List.of()).stream()
                .filter(endpoint -> endpoint.events().contains(event.type()))
                // A test endpoint gets test events only, a live endpoint live ones (ADR 0078).
                .filter(endpoint -> endpoint.livemode() == event.livemode())
                // An endpoint registered after the event was not listening to it.
                .filter(endpoint -> !endpoint.createdAt().isAfter(event.occurredAt()))
                .map(endpoint -> new Due(endpoint.id(), event)))
            .toList())
        .flatMap(due -> due.isEmpty() ? Mono.just(0L)
            : tx.transactional(Flux.fromIterable(due)
                .flatMap(d -> deliveries.record(d.endpointId(), d.event().merchantId(), d.event().eventId(), d.event().type(),
                    d.event().payload(), false, d.event().traceparent(), null), RECORD_CONCURRENCY)
                .count()))
        .doOnNext(count -> {
          if (count > 0) {
            dispatcher.wakeUp();
          }
        })
        .then();
  }

  /** What the fan-out reads of an event. */
  private record Occurred(String eventId, String type, String merchantId, Instant occurredAt, String payload,
      boolean livemode,
      String traceparent) {}

  /** One delivery to record. */
  private record Due(String endpointId, Occurred event) {}

  /**
   * The event's envelope, or null (logged, skipped) for a record that is not one of our events: a
   * record no merchant can be sent must not stop every later delivery by failing the batch forever.
   */
  private Occurred parse(ConsumedEvent event) {
    try {
      JsonNode tree = json.readTree(event.payload());
      return new Occurred(tree.path("id").asString(), tree.path("type").asString(), tree.path("merchant_id").asString(),
          Instant.parse(tree.path("occurred_at").asString()), event.payload(), tree.path("livemode").asBoolean(false),
          event.traceparent());
    } catch (RuntimeException notAnEvent) {
      LOG.error("ALERT skipped a record of the events topic that is not an event envelope ({})",
          notAnEvent.getClass().getSimpleName());
      return null;
    }
  }

  /**
   * A merchant's redelivery: one new manual delivery of the stored event to each live enabled
   * endpoint subscribed to its type.
   *
   * @return the new delivery ids
   */
  Flux<String> redeliver(String merchantId, String eventId, String type, String payload) {
    boolean livemode = json.readTree(payload).path("livemode").asBoolean(false);
    return tx.transactional(endpoints.subscribed(merchantId, type)
            .filter(endpoint -> endpoint.livemode() == livemode)
            .concatMap(endpoint -> deliveries.record(endpoint.id(), merchantId, eventId, type, payload, true, null, null)))
        .doOnComplete(dispatcher::wakeUp);
  }

  /**
   * An operator's redelivery of one dead delivery: one new manual delivery of the same event to the
   * same endpoint, pointing at the dead one (which stays as history), recorded in one transaction
   * with {@code alsoInTransaction} (the audit row). At most one per dead delivery: a request that
   * loses the race to another finds the other's delivery (and writes no audit row).
   *
   * @param dead a dead delivery whose endpoint is live (the caller checked)
   * @return the redelivery's id, new or found, and whether this call made it
   */
  Mono<Redelivery> redeliverDead(WebhookDeliveries.Redeliverable dead, Function<String, Mono<Void>> alsoInTransaction) {
    return tx.transactional(deliveries.record(dead.endpointId(), dead.merchantId(), dead.eventId(), dead.eventType(),
                dead.payload(), true, dead.traceparent(), dead.id())
            .flatMap(id -> alsoInTransaction.apply(id).thenReturn(new Redelivery(id, true))))
        .doOnNext(made -> dispatcher.wakeUp())
        .switchIfEmpty(Mono.defer(() -> deliveries.redeliveryOf(dead.id()).map(id -> new Redelivery(id, false))));
  }

  /**
   * An operator's redelivery.
   *
   * @param created false when an earlier request had made it
   */
  record Redelivery(String deliveryId, boolean created) {}

  @Override
  protected Disposable launch() {
    return consumer.consume(properties.consumerGroup(), this::handle);
  }
}
