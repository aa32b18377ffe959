-- Events and merchant webhooks (issue 7): a per-payment sequence on every outbox row, webhook
-- endpoints with their signing secrets, deliveries and every delivery attempt.

-- sequence: 1, 2, 3 ... per aggregate (payment) in commit order. OutboxWriter computes the next
-- value inside the writer's transaction after the payment row was updated (the row lock
-- serialises writers of one payment); the unique index turns any unserialised writer into an
-- error instead of a duplicate number.
ALTER TABLE outbox ADD COLUMN sequence BIGINT;
UPDATE outbox o SET sequence = s.seq
  FROM (SELECT id, row_number() OVER (PARTITION BY aggregate_id ORDER BY id) AS seq FROM outbox) s
 WHERE o.id = s.id;
ALTER TABLE outbox ALTER COLUMN sequence SET NOT NULL;
ALTER TABLE outbox ADD CONSTRAINT outbox_sequence_positive CHECK (sequence > 0);
CREATE UNIQUE INDEX outbox_aggregate_sequence_idx ON outbox (aggregate_id, sequence);
-- GET /v1/events: a merchant's events, newest first, by event id (UUIDv7, time-sortable).
CREATE INDEX outbox_merchant_page_idx ON outbox (merchant_id, event_id DESC);

-- Signing secrets are HMAC keys: the gateway needs them in clear to sign, so they are stored as
-- they are (never logged, never returned after creation or rotation). previous_secret keeps
-- signing alongside until previous_secret_expires_at (24 h after a rotation).
CREATE TABLE webhook_endpoints (
    id                          TEXT PRIMARY KEY,
    merchant_id                 TEXT        NOT NULL REFERENCES merchants (id),
    url                         TEXT        NOT NULL,
    events                      TEXT[]      NOT NULL,
    enabled                     BOOLEAN     NOT NULL DEFAULT TRUE,
    secret                      TEXT        NOT NULL,
    previous_secret             TEXT,
    previous_secret_expires_at  TIMESTAMPTZ,
    created_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at                  TIMESTAMPTZ
);
CREATE INDEX webhook_endpoints_merchant_idx ON webhook_endpoints (merchant_id, id DESC) WHERE deleted_at IS NULL;

-- One row per (event, endpoint): pending until delivered (a 2xx) or dead after the full retry
-- schedule (INVARIANTS.md 13). next_attempt_at doubles as a lease: a dispatcher that claims a row
-- pushes it forward past the HTTP timeout, so a crashed instance's claim simply expires.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    endpoint_id      TEXT        NOT NULL REFERENCES webhook_endpoints (id),
    merchant_id      TEXT        NOT NULL REFERENCES merchants (id),
    event_id         TEXT        NOT NULL,
    event_type       TEXT        NOT NULL,
    payload          TEXT        NOT NULL,
    manual           BOOLEAN     NOT NULL DEFAULT FALSE,
    status           TEXT        NOT NULL CHECK (status IN ('pending', 'delivered', 'dead', 'cancelled')),
    attempts         INT         NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TIMESTAMPTZ,
    last_status_code INT,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at     TIMESTAMPTZ
);
-- The Kafka consumer is at-least-once: a re-read event must not create a second delivery.
CREATE UNIQUE INDEX webhook_deliveries_once_idx ON webhook_deliveries (endpoint_id, event_id) WHERE NOT manual;
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);

-- Every HTTP attempt, successful or not.
CREATE TABLE webhook_attempts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  TEXT        NOT NULL REFERENCES webhook_deliveries (id),
    attempt      INT         NOT NULL CHECK (attempt > 0),
    started_at   TIMESTAMPTZ NOT NULL,
    latency_ms   BIGINT      NOT NULL CHECK (latency_ms >= 0),
    status_code  INT,
    error        TEXT,
    succeeded    BOOLEAN     NOT NULL,
    UNIQUE (delivery_id, attempt)
);
