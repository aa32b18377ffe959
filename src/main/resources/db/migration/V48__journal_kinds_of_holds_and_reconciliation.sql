-- V40 (holds of manual capture) and V44 (reconciliation) each redefined the journal kinds from the
-- list they knew; the union of both, so every writer's kind is allowed.
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check
    CHECK (kind IN ('capture', 'refund', 'settlement', 'adjustment', 'late_funds', 'suspense',
                    'payout_reserve', 'payout', 'payout_release', 'hold', 'hold_release',
                    'reconciliation', 'exception_resolution'));
