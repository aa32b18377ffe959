-- Manual capture and void (issue 20, docs/adr/0082-authorization-holds.md): a card payment may stop
-- at requires_capture with its authorized amount held in the ledger; a capture posts (part of) it,
-- a void or an expiry releases it; canceled is final.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN
    ('processing', 'pending', 'requires_action', 'requires_capture', 'succeeded', 'failed', 'canceled'));
ALTER TABLE payments
    ADD COLUMN capture_method        TEXT   NOT NULL DEFAULT 'automatic' CHECK (capture_method IN ('automatic', 'manual')),
    -- INVARIANTS 5 (extended): a captured amount never exceeds the authorized amount.
    ADD COLUMN amount_captured_minor BIGINT CHECK (amount_captured_minor > 0 AND amount_captured_minor <= amount_minor),
    ADD COLUMN cancellation_reason   TEXT,
    ADD COLUMN authorized_at         TIMESTAMPTZ;
CREATE INDEX payments_requires_capture_idx ON payments (authorized_at) WHERE status = 'requires_capture';

-- A hold is created once and released exactly once (captured, voided or expired).
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check
    CHECK (kind IN ('capture', 'refund', 'settlement', 'adjustment', 'late_funds', 'suspense',
                    'payout_reserve', 'payout', 'payout_release', 'hold', 'hold_release'));
CREATE UNIQUE INDEX journal_entries_one_hold_idx ON journal_entries (payment_id) WHERE kind = 'hold';
CREATE UNIQUE INDEX journal_entries_one_hold_release_idx ON journal_entries (payment_id) WHERE kind = 'hold_release';

-- A capture or void sent to the acquirer, committed in_flight before the call (intent before the
-- rail, ADR 0065): an answer that is lost is settled by the acquirer's status query, never re-sent.
CREATE TABLE payment_operations (
    id                   TEXT PRIMARY KEY,
    payment_id           TEXT        NOT NULL REFERENCES payments (id),
    kind                 TEXT        NOT NULL CHECK (kind IN ('capture', 'void')),
    amount_minor         BIGINT      NOT NULL CHECK (amount_minor > 0),
    reason               TEXT,
    -- The Idempotency-Key of the request that asked for it (completed by whoever learns the answer); null for an expiry.
    idempotency_key      TEXT,
    rail                 TEXT        NOT NULL,
    outcome              TEXT        NOT NULL CHECK (outcome IN ('in_flight', 'approved', 'declined', 'not_processed', 'unknown')),
    rail_reference       TEXT,
    response_code        TEXT,
    status_checks        INT         NOT NULL DEFAULT 0,
    next_status_check_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- At most one capture or void per payment that may have reached the acquirer.
CREATE UNIQUE INDEX payment_operations_one_open_idx ON payment_operations (payment_id)
    WHERE outcome IN ('in_flight', 'unknown', 'approved');
CREATE INDEX payment_operations_unsettled_idx ON payment_operations (next_status_check_at)
    WHERE outcome IN ('in_flight', 'unknown');
