-- Issue 19: checkout sessions (docs/adr/0079-publishable-keys-and-client-secrets.md).
-- A session is open until its payment succeeds (complete) or it expires (by time or by the
-- merchant). At most 5 payments per session; a failed one leaves it open for another try.
CREATE TABLE checkout_sessions (
    id                    TEXT PRIMARY KEY,
    merchant_id           TEXT        NOT NULL REFERENCES merchants (id),
    livemode              BOOLEAN     NOT NULL,
    idempotency_key       TEXT        NOT NULL,
    status                TEXT        NOT NULL CHECK (status IN ('open', 'complete', 'expired')),
    amount_minor          BIGINT      NOT NULL CHECK (amount_minor > 0),
    currency              CHAR(3)     NOT NULL,
    reference             TEXT,
    description           TEXT,
    metadata              JSONB       NOT NULL DEFAULT '{}',
    payment_method_types  TEXT[]      NOT NULL,
    capture_method        TEXT        NOT NULL,
    customer_msisdn       TEXT,
    success_url           TEXT,
    cancel_url            TEXT,
    -- The client secret is a bearer capability for this one session: compared in constant time.
    client_secret         TEXT        NOT NULL,
    expires_at            TIMESTAMPTZ NOT NULL,
    payment_id            TEXT REFERENCES payments (id),
    payments_started      INT         NOT NULL DEFAULT 0 CHECK (payments_started BETWEEN 0 AND 5),
    -- The Idempotency-Key of the confirm whose payment is not final yet: no second payment meanwhile.
    active_confirm_key    TEXT,
    completed_at          TIMESTAMPTZ,
    expired_at            TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX checkout_sessions_merchant_page_idx ON checkout_sessions (merchant_id, livemode, id DESC);
CREATE INDEX checkout_sessions_open_idx ON checkout_sessions (expires_at) WHERE status = 'open';

-- Each confirm (by its Idempotency-Key) starts at most one payment; a retry finds its row and
-- replays that payment instead of starting another.
CREATE TABLE checkout_session_confirms (
    session_id       TEXT        NOT NULL REFERENCES checkout_sessions (id),
    confirm_key      TEXT        NOT NULL,
    payment_key      TEXT        NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, confirm_key)
);
-- Sessions whose payment is not final yet, for the sweeper.
CREATE INDEX checkout_sessions_active_idx ON checkout_sessions (updated_at) WHERE active_confirm_key IS NOT NULL;
