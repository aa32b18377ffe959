-- Per-merchant pricing (issue 23, PUT /v1/merchants/{id}/pricing): a rate per merchant, payment
-- method and currency ('*' = every currency without a row of its own); configuration
-- (malipo.pricing.*) gives the defaults. Fee = amount x percent_bp / 10,000 rounded half-up, plus
-- fixed_minor, at most the amount.
CREATE TABLE merchant_pricing (
    merchant_id  TEXT        NOT NULL REFERENCES merchants (id),
    method       TEXT        NOT NULL CHECK (method IN ('card', 'mobile_money', 'payouts')),
    currency     TEXT        NOT NULL CHECK (currency = '*' OR currency ~ '^[A-Z]{3}$'),
    percent_bp   INT         NOT NULL CHECK (percent_bp BETWEEN 0 AND 10000),
    fixed_minor  BIGINT      NOT NULL CHECK (fixed_minor BETWEEN 0 AND 1000000000000),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (merchant_id, method, currency)
);
