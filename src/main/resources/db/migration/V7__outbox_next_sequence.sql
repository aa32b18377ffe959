-- The next event sequence of an aggregate in one round trip instead of two (docs/performance.md,
-- docs/adr/0020-event-sequence-and-catalogue.md). The function takes the aggregate's
-- transaction-scoped advisory lock, then reads the highest sequence. Under READ COMMITTED each
-- statement of a VOLATILE function takes a new snapshot, so the read starts after the lock is held
-- and sees the sequence the previous holder committed: the same guarantee as the two separate
-- statements it replaces.
CREATE FUNCTION outbox_next_sequence(aggregate text) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(aggregate, 0));
  RETURN (SELECT COALESCE(MAX(o.sequence), 0) + 1 FROM outbox o WHERE o.aggregate_id = aggregate);
END
$$;
