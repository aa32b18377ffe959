-- Refunds, settlement and the rules that bound them (INVARIANTS.md 4, 6).

-- refunded_minor reserves refunds as they are created (pending or succeeded); the CHECK makes the
-- database refuse refunds beyond the captured amount, whatever races the code has.
ALTER TABLE payments
    ADD COLUMN refunded_minor BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN settled_at TIMESTAMPTZ,
    ADD CONSTRAINT payments_refunds_within_amount CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor);
CREATE INDEX payments_unsettled_idx ON payments (updated_at) WHERE status = 'succeeded' AND settled_at IS NULL;

CREATE TABLE refunds (
    id               TEXT PRIMARY KEY,
    payment_id       TEXT        NOT NULL REFERENCES payments (id),
    merchant_id      TEXT        NOT NULL REFERENCES merchants (id),
    idempotency_key  TEXT        NOT NULL,
    status           TEXT        NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    amount_minor     BIGINT      NOT NULL CHECK (amount_minor > 0),
    currency         CHAR(3)     NOT NULL,
    reason           TEXT,
    rail             TEXT        NOT NULL,
    rail_reference   TEXT,
    debited_account  TEXT        NOT NULL REFERENCES ledger_accounts (id),
    failure_code     TEXT,
    failure_message  TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id, id DESC);

ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_refund_fk FOREIGN KEY (refund_id) REFERENCES refunds (id);
-- One settlement per payment; one reversal per failed refund.
CREATE UNIQUE INDEX journal_entries_one_settlement_idx ON journal_entries (payment_id) WHERE kind = 'settlement';
CREATE UNIQUE INDEX journal_entries_one_refund_reversal_idx ON journal_entries (refund_id) WHERE kind = 'adjustment';
