-- Settlement currency (issue 23 item 6, docs/adr/0084-settlement-currency-fx.md): exchange rates
-- from a configured source, a settlement currency per merchant, and the rate each conversion used
-- stored on its settlement and on its journal entry.

-- One row per published rate: 1 base = rate quote, exact decimal (never a float). Append-only: a
-- new rate is a new row with a later as_of; the latest as_of not in the future applies.
CREATE TABLE fx_rates (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    base        CHAR(3)        NOT NULL,
    quote       CHAR(3)        NOT NULL,
    rate        NUMERIC(30, 12) NOT NULL CHECK (rate > 0),
    as_of       TIMESTAMPTZ    NOT NULL,
    source      TEXT           NOT NULL CHECK (length(source) BETWEEN 1 AND 100),
    created_at  TIMESTAMPTZ    NOT NULL DEFAULT now(),
    CHECK (base <> quote),
    UNIQUE (base, quote, as_of)
);
CREATE INDEX fx_rates_latest_idx ON fx_rates (base, quote, as_of DESC);
CREATE TRIGGER fx_rates_append_only BEFORE UPDATE OR DELETE ON fx_rates
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();

-- NULL: the merchant settles in the currency it charged.
ALTER TABLE merchant_settlement_schedules ADD COLUMN settlement_currency CHAR(3);

-- A settlement's terms are fixed when the day's settlement is opened: every payment of it converts
-- at the same rate.
ALTER TABLE settlements ADD COLUMN settlement_currency CHAR(3);
ALTER TABLE settlements ADD COLUMN fx_base CHAR(3);
ALTER TABLE settlements ADD COLUMN fx_quote CHAR(3);
ALTER TABLE settlements ADD COLUMN fx_rate NUMERIC(30, 12);
ALTER TABLE settlements ADD COLUMN fx_rate_as_of TIMESTAMPTZ;
ALTER TABLE settlements ADD COLUMN fx_rate_source TEXT;
ALTER TABLE settlements ADD CONSTRAINT settlements_fx_terms_check CHECK (
    (settlement_currency IS NULL OR settlement_currency = currency)
        = (fx_rate IS NULL AND fx_base IS NULL AND fx_quote IS NULL AND fx_rate_as_of IS NULL AND fx_rate_source IS NULL));

-- The rate a converting entry used, on the (append-only) entry itself.
ALTER TABLE journal_entries ADD COLUMN fx_base CHAR(3);
ALTER TABLE journal_entries ADD COLUMN fx_quote CHAR(3);
ALTER TABLE journal_entries ADD COLUMN fx_rate NUMERIC(30, 12);
ALTER TABLE journal_entries ADD COLUMN fx_rate_as_of TIMESTAMPTZ;
ALTER TABLE journal_entries ADD COLUMN fx_rate_source TEXT;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_fx_terms_check CHECK (
    (fx_rate IS NULL) = (fx_base IS NULL) AND (fx_rate IS NULL) = (fx_quote IS NULL)
    AND (fx_rate IS NULL) = (fx_rate_as_of IS NULL) AND (fx_rate IS NULL) = (fx_rate_source IS NULL));
