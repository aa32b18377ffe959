-- Requirements inside one statement (docs/adr/0063-single-statement-payment-writes.md): a payment's
-- writes run as one statement of data-modifying CTEs, so a guard that fails (the payment was no
-- longer processing, the idempotency key no longer in progress) must abort the whole statement
-- rather than let the other CTEs commit. RAISE does that; SQLSTATE MP001 tells the gateway it was
-- a requirement, not a fault (common.SingleStatement).
CREATE FUNCTION malipo_require(ok boolean, failure text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION USING ERRCODE = 'MP001', MESSAGE = failure;
  END IF;
  RETURN true;
END
$$;
