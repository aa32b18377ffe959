-- Retention (issue 26; docs/adr/0068-retention.md): the purge job finds old rows through these
-- indexes and stops at the first young one, instead of scanning each table on every pass.
-- IF NOT EXISTS: on a large existing table, create them by hand first with CREATE INDEX
-- CONCURRENTLY under the same names, and this migration takes no lock worth noticing.

-- Expired keys, oldest first. expires_at never changes when a key completes, so completing a key
-- stays a HOT update.
CREATE INDEX IF NOT EXISTS idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- Processed callbacks, oldest first (written once, when the verdict is set).
CREATE INDEX IF NOT EXISTS inbox_processed_idx ON inbox (processed_at) WHERE verdict IS NOT NULL;
