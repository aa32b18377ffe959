-- Merchant settlements (issue 23): the payments the settlement job moved from pending to available
-- on one UTC day form one settlement per merchant and currency; a merchant's schedule may delay
-- its payments by T+N days instead of malipo.settlement.delay.
CREATE TABLE settlements (
    id               TEXT PRIMARY KEY,
    merchant_id      TEXT        NOT NULL REFERENCES merchants (id),
    currency         CHAR(3)     NOT NULL,
    settlement_date  DATE        NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (merchant_id, currency, settlement_date)
);
CREATE INDEX settlements_merchant_idx ON settlements (merchant_id, id DESC);
ALTER TABLE payments ADD COLUMN settlement_id TEXT REFERENCES settlements (id);
CREATE INDEX payments_settlement_idx ON payments (settlement_id) WHERE settlement_id IS NOT NULL;

CREATE TABLE merchant_settlement_schedules (
    merchant_id  TEXT        PRIMARY KEY REFERENCES merchants (id),
    frequency    TEXT        NOT NULL CHECK (frequency IN ('daily')),
    delay_days   INT         NOT NULL CHECK (delay_days BETWEEN 0 AND 30),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
