-- Webhook signing secrets encrypted at rest (issue 26; docs/adr/0067-webhook-secrets-encrypted-at-rest.md).
-- Each secret is stored as AES-256-GCM ciphertext beside the id of the key that encrypted it
-- (malipo.webhooks.secret-encryption.keys.<id>). The key lives only in the gateway's configuration,
-- so SQL cannot encrypt: rows written before this migration keep their plaintext until the
-- gateway's start-up job (webhook.SecretReencryption) encrypts them and clears the plaintext
-- columns; it also re-encrypts rows under a rotated-out key.
ALTER TABLE webhook_endpoints
    ALTER COLUMN secret DROP NOT NULL,
    ADD COLUMN secret_ciphertext           BYTEA,
    ADD COLUMN secret_key_id               TEXT,
    ADD COLUMN previous_secret_ciphertext  BYTEA,
    ADD COLUMN previous_secret_key_id      TEXT,
    -- Every endpoint has a current secret, in one form or the other.
    ADD CONSTRAINT webhook_endpoints_secret_stored
        CHECK (secret IS NOT NULL OR (secret_ciphertext IS NOT NULL AND secret_key_id IS NOT NULL)),
    ADD CONSTRAINT webhook_endpoints_secret_key_beside
        CHECK ((secret_ciphertext IS NULL) = (secret_key_id IS NULL)),
    ADD CONSTRAINT webhook_endpoints_previous_secret_key_beside
        CHECK ((previous_secret_ciphertext IS NULL) = (previous_secret_key_id IS NULL));
