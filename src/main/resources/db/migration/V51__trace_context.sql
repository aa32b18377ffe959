-- Trace context (issue 24, docs/observability.md): the W3C traceparent of the span that wrote an
-- event travels with it, so the Kafka record and the webhook delivery join the payment's trace.
-- NULL when tracing is off or the write was not traced.
ALTER TABLE outbox ADD COLUMN traceparent TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN traceparent TEXT;
