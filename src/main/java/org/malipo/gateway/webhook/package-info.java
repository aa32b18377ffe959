/**
 * Merchant webhooks: endpoints with their signing secrets ({@code /v1/webhook_endpoints}), a
 * Kafka consumer that records one delivery per (event, subscribed endpoint), and a database-driven
 * dispatcher that POSTs signed events with retries, per-endpoint limits and circuits, recording
 * every attempt (docs/webhooks.md, docs/adr/0021-webhook-delivery.md,
 * docs/adr/0022-webhook-secrets-and-urls.md). Not here: publishing events (package {@code events}).
 */
package org.malipo.gateway.webhook;
