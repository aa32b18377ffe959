-- Mobile money (issue 3): the payer's wallet on payments, the status-check schedule of pending
-- payments, late-funds journal entries, and the callback inbox.

-- The payer of a mobile-money payment: operator and E.164 number (needed to check a callback's
-- payer; the API shows it masked). Card columns stay NULL for these payments.
ALTER TABLE payments
    ADD COLUMN mobile_operator      TEXT CHECK (mobile_operator IN ('mpesa', 'mtn_momo')),
    ADD COLUMN msisdn               TEXT,
    -- Status queries made for a pending payment and when the next one is due (NULL = updated_at +
    -- the configured first delay). Claimed by a guarded update, so two instances never query twice.
    ADD COLUMN status_checks        INT NOT NULL DEFAULT 0,
    ADD COLUMN next_status_check_at TIMESTAMPTZ;
CREATE INDEX payments_pending_idx ON payments (updated_at) WHERE status = 'pending';
CREATE INDEX payment_attempts_reference_idx ON payment_attempts (rail_reference);

-- A success reported for a payment already failed: the money sits in suspense, once per payment
-- (INVARIANTS.md 11).
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check
    CHECK (kind IN ('capture', 'refund', 'settlement', 'adjustment', 'late_funds'));
CREATE UNIQUE INDEX journal_entries_one_late_funds_idx ON journal_entries (payment_id) WHERE kind = 'late_funds';

-- Every rail callback, raw, written before the rail gets its 200 (INVARIANTS.md 10). A row is
-- claimed for processing by a guarded update (claimed_until), retried with back-off until
-- attempts run out, and ends with exactly one verdict.
CREATE TABLE inbox (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rail             TEXT        NOT NULL,
    reference_hint   TEXT,
    body             TEXT        NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts         INT         NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_until    TIMESTAMPTZ,
    rail_reference   TEXT,
    payment_id       TEXT,
    verdict          TEXT CHECK (verdict IN ('applied', 'duplicate', 'late', 'mismatch', 'orphan', 'rejected')),
    verdict_detail   TEXT,
    processed_at     TIMESTAMPTZ
);
CREATE INDEX inbox_open_idx ON inbox (next_attempt_at) WHERE verdict IS NULL;
CREATE INDEX inbox_reference_idx ON inbox (rail, rail_reference);
