-- Payouts (issue 21, docs/adr/0069-payouts-reserved-first.md): money out of a merchant's available
-- balance to a mobile wallet. The payout row, the reservation entry, its outbox row, its audit row
-- and the idempotency key commit together; the rail is called after, with the payout id as the
-- rail's originator reference; the outcome is written once, guarded by status = 'pending'.
CREATE TABLE payouts (
    id                    TEXT        PRIMARY KEY,
    merchant_id           TEXT        NOT NULL REFERENCES merchants (id),
    idempotency_key       TEXT        NOT NULL,
    status                TEXT        NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    amount_minor          BIGINT      NOT NULL CHECK (amount_minor > 0),
    fee_minor             BIGINT      NOT NULL CHECK (fee_minor >= 0),
    currency              CHAR(3)     NOT NULL,
    rail                  TEXT        NOT NULL,
    msisdn                TEXT        NOT NULL,
    recipient_name        TEXT,
    reference             TEXT,
    description           TEXT,
    metadata              TEXT,
    livemode              BOOLEAN     NOT NULL,
    rail_reference        TEXT,
    rail_receipt          TEXT,
    failure_code          TEXT,
    failure_message       TEXT,
    status_checks         INT         NOT NULL DEFAULT 0,
    next_status_check_at  TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    CHECK ((status = 'failed') = (failure_code IS NOT NULL))
);
CREATE INDEX payouts_merchant_idx ON payouts (merchant_id, id DESC);
CREATE INDEX payouts_merchant_status_idx ON payouts (merchant_id, status, id DESC);
CREATE INDEX payouts_pending_idx ON payouts (updated_at) WHERE status = 'pending';
-- The daily limit sums a merchant's payouts of one rail and currency since midnight UTC.
CREATE INDEX payouts_daily_idx ON payouts (merchant_id, rail, currency, created_at);

-- Ledger: one reservation, then exactly one of payout (succeeded) or payout release (failed), per payout.
ALTER TABLE journal_entries ADD COLUMN payout_id TEXT REFERENCES payouts (id);
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check
    CHECK (kind IN ('capture', 'refund', 'settlement', 'adjustment', 'late_funds', 'suspense',
                    'payout_reserve', 'payout', 'payout_release'));
CREATE UNIQUE INDEX journal_entries_one_payout_reserve_idx ON journal_entries (payout_id) WHERE kind = 'payout_reserve';
-- A payout ends once: paid or released, never both (INVARIANTS.md 19).
CREATE UNIQUE INDEX journal_entries_one_payout_end_idx ON journal_entries (payout_id)
    WHERE kind IN ('payout', 'payout_release');

-- The demo client of existing local databases gets the payout scopes (new ones are seeded with them).
UPDATE api_clients SET scopes = scopes || ' payouts:write payouts:read'
WHERE client_id = 'demo_client' AND scopes NOT LIKE '%payouts:%';
