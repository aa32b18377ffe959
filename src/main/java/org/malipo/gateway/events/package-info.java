/**
 * The transactional outbox (with its per-payment {@code sequence}) and its relay to Kafka behind
 * the {@link org.malipo.gateway.events.EventPublisher} port, the
 * {@link org.malipo.gateway.events.EventConsumer} port through which the gateway reads the topic
 * back, {@code GET /v1/events}, topic creation and Kafka health (Reactor Kafka in both ports).
 * The event catalogue is {@code contracts/asyncapi.yaml}. Webhook delivery is not here.
 */
package org.malipo.gateway.events;
