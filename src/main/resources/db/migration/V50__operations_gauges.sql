-- Operations gauges (issue 24, observability.OperationsGauges): each periodic count or oldest-age
-- query reads a small partial index instead of scanning its table. Processing and pending
-- payments, pending payouts and open inbox rows already have theirs; these cover the rest. Each
-- indexes only rows that are rare or short-lived, so the write path of a payment pays nothing.
-- IF NOT EXISTS: on a large existing table, create them by hand first with CREATE INDEX
-- CONCURRENTLY under the same names, and this migration takes no lock worth noticing.
CREATE INDEX IF NOT EXISTS payments_requires_action_idx ON payments (created_at) WHERE status = 'requires_action';
CREATE INDEX IF NOT EXISTS refunds_pending_idx ON refunds (created_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_dead_idx ON webhook_deliveries (updated_at) WHERE status = 'dead';
CREATE INDEX IF NOT EXISTS payment_exceptions_open_idx ON payment_exceptions (kind) WHERE resolved_at IS NULL;
