/**
 * The transactional outbox and its relay to Kafka behind the {@link org.malipo.gateway.events.EventPublisher} port (Reactor Kafka), topic creation and Kafka health. Webhook delivery is not here.
 */
package org.malipo.gateway.events;
