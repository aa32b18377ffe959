-- Issue 20, 3-D Secure: the merchant's return_url after authentication (never card data), and the
-- reconciler's scan for authentications not completed in time (docs/adr/0083-three-d-secure.md).
ALTER TABLE payments ADD COLUMN return_url text;
CREATE INDEX payments_awaiting_authentication ON payments (updated_at) WHERE status = 'requires_action';
