-- Issue 19: test and live mode (docs/adr/0078-test-and-live-mode.md).
-- Every credential and every object is test or live. Rows written before this migration were made
-- by local, sandbox and test runs only (the gateway has no live merchant yet): they become test.
ALTER TABLE api_clients       ADD COLUMN livemode BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE payments          ADD COLUMN livemode BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE refunds           ADD COLUMN livemode BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE outbox            ADD COLUMN livemode BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE webhook_endpoints ADD COLUMN livemode BOOLEAN NOT NULL DEFAULT false;

-- Publishable keys (pk_test_…, pk_live_…): public by design (they ship inside mobile apps and web
-- pages), so kept in clear; they authorize only the client-side checkout routes.
CREATE TABLE publishable_keys (
    key          TEXT PRIMARY KEY,
    merchant_id  TEXT        NOT NULL REFERENCES merchants (id),
    livemode     BOOLEAN     NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at   TIMESTAMPTZ,
    CHECK (key LIKE (CASE WHEN livemode THEN 'pk_live_%' ELSE 'pk_test_%' END))
);
CREATE INDEX publishable_keys_merchant_idx ON publishable_keys (merchant_id);
