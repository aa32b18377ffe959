-- Reconciliation of rail statements (issue 23, docs/reconciliation.md, docs/adr/0087).
-- A run is one uploaded statement file; the same file (same SHA-256 of its bytes) for the same
-- rail is the same run. Its items account for every statement line and every gateway payment of
-- the period; a payment is matched at most once across all runs (the partial unique index).
CREATE TABLE reconciliation_runs (
    id                    TEXT PRIMARY KEY,
    rail                  TEXT        NOT NULL,
    content_sha256        TEXT        NOT NULL,
    period_start          TIMESTAMPTZ NOT NULL,
    period_end            TIMESTAMPTZ NOT NULL,
    status                TEXT        NOT NULL CHECK (status IN ('completed')),
    matched               INT         NOT NULL CHECK (matched >= 0),
    amount_mismatch       INT         NOT NULL CHECK (amount_mismatch >= 0),
    fee_mismatch          INT         NOT NULL CHECK (fee_mismatch >= 0),
    missing_in_rail       INT         NOT NULL CHECK (missing_in_rail >= 0),
    missing_in_gateway    INT         NOT NULL CHECK (missing_in_gateway >= 0),
    rail_amount_minor     BIGINT      NOT NULL CHECK (rail_amount_minor >= 0),
    gateway_amount_minor  BIGINT      NOT NULL CHECK (gateway_amount_minor >= 0),
    currency              CHAR(3)     NOT NULL,
    journal_entry         TEXT,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (rail, content_sha256),
    CHECK (period_start < period_end)
);

CREATE TABLE reconciliation_items (
    id                    TEXT PRIMARY KEY,
    run_id                TEXT        NOT NULL REFERENCES reconciliation_runs (id),
    line                  INT         CHECK (line > 0),
    result                TEXT        NOT NULL CHECK (result IN ('matched', 'amount_mismatch', 'fee_mismatch',
                                                                 'missing_in_rail', 'missing_in_gateway')),
    rail_reference        TEXT,
    receipt               TEXT,
    payment_id            TEXT        REFERENCES payments (id),
    rail_amount_minor     BIGINT      CHECK (rail_amount_minor > 0),
    gateway_amount_minor  BIGINT      CHECK (gateway_amount_minor > 0),
    rail_fee_minor        BIGINT      CHECK (rail_fee_minor >= 0),
    expected_fee_minor    BIGINT      CHECK (expected_fee_minor >= 0),
    currency              CHAR(3)     NOT NULL,
    settled_payment       BOOLEAN     NOT NULL DEFAULT false,
    exception_id          TEXT,
    detail                TEXT,
    -- A statement line has a line number; a gateway payment the rail did not report has none.
    CHECK ((line IS NULL) = (result = 'missing_in_rail'))
);
CREATE INDEX reconciliation_items_run_idx ON reconciliation_items (run_id, id);
-- Nothing matched twice: a payment pairs with at most one statement line, over all runs.
CREATE UNIQUE INDEX reconciliation_items_one_match_idx ON reconciliation_items (payment_id)
    WHERE result IN ('matched', 'amount_mismatch', 'fee_mismatch');
-- A payment is reported missing by the rail once; a later statement may still match it.
CREATE UNIQUE INDEX reconciliation_items_one_missing_idx ON reconciliation_items (payment_id)
    WHERE result = 'missing_in_rail';

-- Exceptions opened by reconciliation, with their evidence and what is held for them:
-- suspense_minor (signed, credit positive: > 0 we hold money nobody is owed yet, < 0 money is
-- short) and clearing_minor (a receivable left at the rail's clearing account that the rail did
-- not report). Resolutions record the operator's action, note and journal entry.
ALTER TABLE payment_exceptions DROP CONSTRAINT payment_exceptions_kind_check;
ALTER TABLE payment_exceptions ADD CONSTRAINT payment_exceptions_kind_check
    CHECK (kind IN ('unconfirmed_success', 'unknown_attempt', 'unknown_refund',
                    'amount_mismatch', 'fee_mismatch', 'missing_in_rail', 'missing_in_gateway'));
ALTER TABLE payment_exceptions ALTER COLUMN merchant_id DROP NOT NULL;
ALTER TABLE payment_exceptions ADD COLUMN suspense_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payment_exceptions ADD COLUMN clearing_minor BIGINT NOT NULL DEFAULT 0 CHECK (clearing_minor >= 0);
ALTER TABLE payment_exceptions ADD COLUMN reconciliation_run_id TEXT REFERENCES reconciliation_runs (id);
ALTER TABLE payment_exceptions ADD COLUMN evidence JSONB;
ALTER TABLE payment_exceptions ADD COLUMN resolution TEXT
    CHECK (resolution IN ('accept_rail', 'accept_gateway', 'refund_payer', 'write_off', 'matched_later',
                          'settled_by_statement'));
ALTER TABLE payment_exceptions ADD COLUMN resolution_note TEXT;
ALTER TABLE payment_exceptions ADD COLUMN resolution_entry TEXT;
ALTER TABLE payment_exceptions ADD COLUMN resolved_by TEXT;
-- The unconfirmed successes already open hold their amount in suspense.
UPDATE payment_exceptions SET suspense_minor = amount_minor WHERE suspense_entry IS NOT NULL;

-- Ledger: one reconciliation entry per run (a run has one currency), one entry per resolution.
ALTER TABLE journal_entries ADD COLUMN reconciliation_run_id TEXT REFERENCES reconciliation_runs (id);
ALTER TABLE journal_entries ADD COLUMN exception_id TEXT REFERENCES payment_exceptions (id);
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check
    CHECK (kind IN ('capture', 'refund', 'settlement', 'adjustment', 'late_funds', 'suspense',
                    'payout_reserve', 'payout', 'payout_release', 'reconciliation', 'exception_resolution'));
CREATE UNIQUE INDEX journal_entries_one_reconciliation_idx ON journal_entries (reconciliation_run_id)
    WHERE kind = 'reconciliation';
CREATE UNIQUE INDEX journal_entries_one_resolution_idx ON journal_entries (exception_id)
    WHERE kind = 'exception_resolution';
