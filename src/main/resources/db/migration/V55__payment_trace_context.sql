-- Trace context of a payment (issue 24, docs/adr/0089): the W3C traceparent of the span that
-- recorded the payment, so a rail's callback processed later (callback.process) and the events it
-- writes join the payment's trace. NULL when tracing is off or the request was not traced.
ALTER TABLE payments ADD COLUMN traceparent TEXT;
