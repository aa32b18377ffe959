-- One payment lifecycle (issue 18, docs/adr/0065-payment-lifecycle.md).

-- Intent before the rail: an attempt row is committed with outcome 'in_flight' before the request
-- leaves. A processing payment without an attempt was surely never sent; one with an attempt in
-- flight is resolved only by the rail's answer or its status query.
ALTER TABLE payment_attempts DROP CONSTRAINT payment_attempts_outcome_check;
ALTER TABLE payment_attempts ADD CONSTRAINT payment_attempts_outcome_check
    CHECK (outcome IN ('in_flight', 'approved', 'declined', 'pending', 'not_attempted', 'unknown'));
CREATE INDEX payment_attempts_open_idx ON payment_attempts (started_at) WHERE outcome IN ('in_flight', 'unknown');

-- Attempts started, kept on the payment row itself: the intent write and every outcome write are
-- guarded by it, so a reconciler that fails a payment "never sent" cannot race an attempt that is
-- starting (PostgreSQL re-checks a row's own columns, not sub-selects, after waiting on its lock).
ALTER TABLE payments ADD COLUMN attempts_started INT NOT NULL DEFAULT 0;
UPDATE payments p SET attempts_started = (SELECT count(*) FROM payment_attempts a WHERE a.payment_id = p.id);

-- Operator-visible exceptions: what the reconciler could not settle by itself (a success the rail
-- never confirmed within its window, an attempt whose outcome stayed unknown). Money that may have
-- been collected sits in suspense while the case is open (INVARIANTS.md 11).
CREATE TABLE payment_exceptions (
    id             TEXT PRIMARY KEY,
    kind           TEXT        NOT NULL CHECK (kind IN ('unconfirmed_success', 'unknown_attempt', 'unknown_refund')),
    payment_id     TEXT        REFERENCES payments (id),
    refund_id      TEXT,
    merchant_id    TEXT        NOT NULL,
    rail           TEXT,
    amount_minor   BIGINT      NOT NULL CHECK (amount_minor > 0),
    currency       CHAR(3)     NOT NULL,
    detail         TEXT        NOT NULL,
    suspense_entry TEXT,
    opened_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at    TIMESTAMPTZ
);
-- One open case per payment (or refund) and kind.
CREATE UNIQUE INDEX payment_exceptions_one_open_idx ON payment_exceptions (kind, COALESCE(refund_id, payment_id))
    WHERE resolved_at IS NULL;
CREATE INDEX payment_exceptions_opened_idx ON payment_exceptions (opened_at DESC, id DESC);

ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check
    CHECK (kind IN ('capture', 'refund', 'settlement', 'adjustment', 'late_funds', 'suspense'));
CREATE UNIQUE INDEX journal_entries_one_suspense_idx ON journal_entries (payment_id) WHERE kind = 'suspense';

-- Refunds left pending by a lost rail answer are queried like payments.
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS status_checks INT NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS next_status_check_at TIMESTAMPTZ;
