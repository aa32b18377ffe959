-- Operator actions of the console's "callbacks and webhooks" screen (issue 24, docs/console.md).

-- An operator's redelivery of a dead delivery is a new manual delivery pointing at the dead one,
-- which stays as history. At most one per dead delivery, so a repeated (or concurrent) request
-- finds the first one instead of sending the event again.
ALTER TABLE webhook_deliveries ADD COLUMN redelivery_of TEXT REFERENCES webhook_deliveries (id);
CREATE UNIQUE INDEX webhook_deliveries_redelivery_of_idx ON webhook_deliveries (redelivery_of)
    WHERE redelivery_of IS NOT NULL;

-- A quarantined callback an operator has looked at: dismissed (acknowledged with a note, off the
-- list; the verdict stays) or, for an orphan only, sent back to the processor once.
ALTER TABLE inbox
    ADD COLUMN dismissed_at    TIMESTAMPTZ,
    ADD COLUMN dismissed_by    TEXT,
    ADD COLUMN dismissal_note  TEXT,
    ADD COLUMN reprocessed_at  TIMESTAMPTZ,
    ADD COLUMN reprocessed_by  TEXT;
