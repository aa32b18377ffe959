-- Audit trail of security-relevant actions (docs/adr/0055-audit-log.md): who did what to which
-- object, when, from where. Append-only like the ledger: rows are never updated or deleted.
CREATE TABLE audit_events (
    id                 TEXT        PRIMARY KEY,              -- aud_… (UUIDv7: sorts by time, the page cursor)
    occurred_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    action             TEXT        NOT NULL,                 -- e.g. client.revoked, webhook_endpoint.deleted
    actor_client_id    TEXT,                                 -- NULL: the gateway itself (start-up)
    actor_merchant_id  TEXT,
    target_type        TEXT        NOT NULL,
    target_id          TEXT        NOT NULL,
    request_id         TEXT,
    source_address     TEXT,
    details            JSONB       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_action_idx ON audit_events (action, id DESC);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_client_id, id DESC);

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
