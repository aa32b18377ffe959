-- Payments left processing by an unknown rail attempt (a timeout after the request was sent) are
-- looked up by the status-query reconciler every sweep (docs/adr/0042-unknown-card-attempts.md):
-- keep that scan on the few processing rows, not the whole table.
CREATE INDEX payments_processing_idx ON payments (updated_at) WHERE status = 'processing';
