-- A refund of a payment settled in another currency is funded from the settlement currency's
-- available balance, converted back at the pair's latest rate (docs/adr/0091): one entry of kind
-- refund_conversion per refund, written in the refund's own transaction.
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check
    CHECK (kind IN ('capture', 'refund', 'settlement', 'adjustment', 'late_funds', 'suspense',
                    'payout_reserve', 'payout', 'payout_release', 'hold', 'hold_release',
                    'reconciliation', 'exception_resolution', 'refund_conversion'));
CREATE UNIQUE INDEX journal_entries_one_refund_conversion_idx ON journal_entries (refund_id)
    WHERE kind = 'refund_conversion';
