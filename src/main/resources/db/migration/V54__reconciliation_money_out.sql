-- Money out in reconciliation (issue 23, docs/reconciliation.md, ADR 0087): statements list the
-- payouts and refunds a rail paid as negative lines, and runs pair them with the gateway's payouts
-- and refunds. Amounts on items and exceptions become signed (negative = money out), and an item
-- or exception names the payout or refund it is about.
ALTER TABLE reconciliation_items DROP CONSTRAINT reconciliation_items_rail_amount_minor_check;
ALTER TABLE reconciliation_items ADD CONSTRAINT reconciliation_items_rail_amount_minor_check CHECK (rail_amount_minor <> 0);
ALTER TABLE reconciliation_items DROP CONSTRAINT reconciliation_items_gateway_amount_minor_check;
ALTER TABLE reconciliation_items ADD CONSTRAINT reconciliation_items_gateway_amount_minor_check
    CHECK (gateway_amount_minor <> 0);
ALTER TABLE reconciliation_items ADD COLUMN payout_id TEXT REFERENCES payouts (id);
ALTER TABLE reconciliation_items ADD COLUMN refund_id TEXT REFERENCES refunds (id);
ALTER TABLE reconciliation_items ADD CONSTRAINT reconciliation_items_one_record_check
    CHECK (num_nonnulls(payment_id, payout_id, refund_id) <= 1);
-- Nothing matched twice, money out too: a payout or refund pairs with at most one statement line
-- over all runs, and is reported missing by the rail once.
CREATE UNIQUE INDEX reconciliation_items_one_payout_match_idx ON reconciliation_items (payout_id)
    WHERE result IN ('matched', 'amount_mismatch', 'fee_mismatch');
CREATE UNIQUE INDEX reconciliation_items_one_payout_missing_idx ON reconciliation_items (payout_id)
    WHERE result = 'missing_in_rail';
CREATE UNIQUE INDEX reconciliation_items_one_refund_match_idx ON reconciliation_items (refund_id)
    WHERE result IN ('matched', 'amount_mismatch', 'fee_mismatch');
CREATE UNIQUE INDEX reconciliation_items_one_refund_missing_idx ON reconciliation_items (refund_id)
    WHERE result = 'missing_in_rail';

-- Run totals are net (money in minus money out).
ALTER TABLE reconciliation_runs DROP CONSTRAINT reconciliation_runs_rail_amount_minor_check;
ALTER TABLE reconciliation_runs DROP CONSTRAINT reconciliation_runs_gateway_amount_minor_check;

-- A payout the rail did not report leaves a negative receivable (a payable) at the clearing account.
ALTER TABLE payment_exceptions DROP CONSTRAINT payment_exceptions_clearing_minor_check;
ALTER TABLE payment_exceptions ADD COLUMN payout_id TEXT REFERENCES payouts (id);
CREATE INDEX payment_exceptions_payout_idx ON payment_exceptions (payout_id) WHERE payout_id IS NOT NULL;
