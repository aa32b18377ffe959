-- The gateway's own database work for ONE succeeded card payment, statement for statement as
-- PaymentPipeline issues it (docs/adr/0063-single-statement-payment-writes.md: the CTEs of
-- common.SingleStatement with the values bound): statement 1 claims the idempotency key and
-- records the processing payment with its payment.created event (sequence 1: no lock, no read) and
-- the first attempt's intent, committed before the rail call (ADR 0065, ADR 0077: one commit for
-- both); statement 2 stores the outcome, the attempt's answer (an UPDATE of the intent row), the
-- capture entry, payment.succeeded and the stored answer (in the order OutcomeWriter adds them, so
-- the balance row is locked last; ADR 0063).
-- Each is its own transaction (autocommit), as in the gateway.
-- loadtest/bench.sh drives it with pgbench -M prepared -c 8 -j 2 -T 30: one pgbench "transaction"
-- = one payment. (pgbench takes any :word for a variable, even inside a string: the account ids
-- spell ':' as chr(58).) Ids are derived from one random 63-bit number per payment; bodies are
-- real ones, same sizes.
\set n random(1, 9000000000000000000)
WITH idempotency_claim AS (
    INSERT INTO idempotency_keys (merchant_id, idempotency_key, fingerprint, state, resource_id, expires_at)
    VALUES ('mer_demo', 'key-' || CAST(:n AS text), '64ad8141d7fe313583620628416c85baa3b35e6de4069919982cdd0fc37ba0a8', 'in_progress', 'pay_' || CAST(:n AS text), now() + make_interval(hours => 24))
    ON CONFLICT (merchant_id, idempotency_key) DO UPDATE
      SET fingerprint = EXCLUDED.fingerprint, state = 'in_progress', resource_id = EXCLUDED.resource_id,
          response_status = NULL, response_body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
      WHERE idempotency_keys.expires_at < now() AND idempotency_keys.state = 'completed'
        AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = idempotency_keys.resource_id
                        AND p.status NOT IN ('succeeded', 'failed'))
        AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.id = idempotency_keys.resource_id
                        AND r.status = 'pending')
    RETURNING 1
), payment_insert AS (
    INSERT INTO payments (id, merchant_id, idempotency_key, status, amount_minor, currency, fee_minor, reference, description, metadata, method_type, card_brand, card_bin, card_last4, card_fingerprint, mobile_operator, msisdn, created_at, updated_at, provider, attempts_started)
    SELECT 'pay_' || CAST(:n AS text), 'mer_demo', 'key-' || CAST(:n AS text), 'processing', 1500, 'KES', 0, 'order-1001', NULL, CAST('{}' AS jsonb), 'card', 'visa', '424242', '4242', 'ef80c2dc5ccd87a6e7b67d25f4d152392a97e3d12da70d64732e760479a9029f', NULL, NULL, now(), now(), 'acquirer_a', 1
    FROM idempotency_claim
    RETURNING 1
), outbox_event AS (
    INSERT INTO outbox (event_id, aggregate_id, merchant_id, type, sequence, payload)
    SELECT 'evt_c' || CAST(:n AS text), 'pay_' || CAST(:n AS text), 'mer_demo', 'payment.created', s.sequence,
        '{"id":"evt_01a200f779b87fc68e1a6c23fa26bf2e","type":"payment.created","occurred_at":"2026-11-22T01:55:48.279708Z","merchant_id":"mer_demo","sequence":' || s.sequence || ',"data":{"id":"pay_01a200f779b77de8ac00d596fb871379","object":"payment","status":"processing","amount":1500,"currency":"KES","reference":"order-1001","metadata":{},"payment_method":{"type":"card","brand":"visa","bin":"424242","last4":"4242"},"attempts":0,"created_at":"2026-11-22T01:55:48.279708Z","updated_at":"2026-11-22T01:55:48.279708Z"}}'
    FROM (SELECT CAST(1 AS bigint) AS sequence FROM payment_insert) s
), attempt_intent AS (
    INSERT INTO payment_attempts (id, payment_id, rail, outcome, started_at, latency_ms)
    SELECT 'att_' || CAST(:n AS text) || '_1', 'pay_' || CAST(:n AS text), 'acquirer_a', 'in_flight', now(), 0 FROM payment_insert
)
SELECT count(*) AS inserted FROM payment_insert;
WITH payment_outcome AS (
    UPDATE payments SET status = 'succeeded', provider = 'acquirer_a', fee_minor = 44, risk_score = 0, risk_decision = 'allow',
        risk_reasons = '{}', failure_code = NULL, failure_message = NULL, updated_at = now()
    WHERE id = 'pay_' || CAST(:n AS text) AND status = 'processing' AND attempts_started = 1
    RETURNING 1
), payment_attempt_rows AS (
    UPDATE payment_attempts t SET outcome = a.outcome, rail_reference = COALESCE(t.rail_reference, a.rail_reference),
        response_code = a.response_code, failure_code = a.failure_code,
        latency_ms = GREATEST(t.latency_ms, a.latency_ms)
    FROM unnest(ARRAY['att_' || CAST(:n AS text) || '_1'], ARRAY['approved'], ARRAY['auth_' || CAST(:n AS text)],
        ARRAY['00'], CAST(ARRAY[NULL] AS text[]), ARRAY[CAST(21 AS bigint)])
        AS a(id, outcome, rail_reference, response_code, failure_code, latency_ms)
    WHERE t.id = a.id AND t.payment_id = 'pay_' || CAST(:n AS text) AND t.outcome IN ('in_flight', 'unknown', 'pending')
        AND EXISTS (SELECT 1 FROM payment_outcome)
    RETURNING 1
), ledger_legs AS (
    SELECT l.* FROM unnest(CAST(translate('{gateway;fees;KES,merchant;mer_demo;pending;KES,rail;acquirer_a;clearing;KES}', ';', chr(58)) AS text[]),
        CAST('{C,C,D}' AS text[]), CAST('{44,1456,1500}' AS bigint[]), CAST('{C,C,D}' AS text[]), CAST('{f,t,f}' AS boolean[]))
        AS l(account, direction, amount, normal_side, non_negative)
    WHERE EXISTS (SELECT 1 FROM payment_outcome)
), ledger_entry AS (
    INSERT INTO journal_entries (id, kind, payment_id, refund_id)
    VALUES ('je_' || CAST(:n AS text), 'capture', 'pay_' || CAST(:n AS text), NULL)
), ledger_system_accounts AS (
    INSERT INTO ledger_accounts (id, currency, normal_side, non_negative, balance_minor)
    SELECT account, 'KES', normal_side, false, NULL FROM ledger_legs WHERE NOT non_negative
    ON CONFLICT (id) DO NOTHING
), ledger_increases AS (
    INSERT INTO ledger_accounts (id, currency, normal_side, non_negative, balance_minor)
    SELECT account, 'KES', normal_side, true, amount
    FROM ledger_legs WHERE non_negative AND direction = normal_side ORDER BY account
    ON CONFLICT (id) DO UPDATE SET balance_minor = ledger_accounts.balance_minor + EXCLUDED.balance_minor
), ledger_decreases AS (
    UPDATE ledger_accounts a SET balance_minor = a.balance_minor - l.amount
    FROM ledger_legs l WHERE a.id = l.account AND l.non_negative AND l.direction <> l.normal_side
), ledger_postings AS (
    INSERT INTO postings (entry_id, account_id, direction, amount_minor, currency)
    SELECT 'je_' || CAST(:n AS text), account, direction, amount, 'KES' FROM ledger_legs
), outbox_event AS (
    INSERT INTO outbox (event_id, aggregate_id, merchant_id, type, sequence, payload)
    SELECT 'evt_s' || CAST(:n AS text), 'pay_' || CAST(:n AS text), 'mer_demo', 'payment.succeeded', s.sequence,
        '{"id":"evt_01a200f77a3e70e0af8f0be1cc79ddce","type":"payment.succeeded","occurred_at":"2026-11-22T01:55:48.403100Z","merchant_id":"mer_demo","sequence":' || s.sequence || ',"data":{"id":"pay_01a200f779b77de8ac00d596fb871379","object":"payment","status":"succeeded","amount":1500,"currency":"KES","fee":44,"reference":"order-1001","metadata":{},"payment_method":{"type":"card","brand":"visa","bin":"424242","last4":"4242"},"provider":"acquirer_a","attempts":1,"risk":{"score":0,"decision":"allow","reasons":[]},"created_at":"2026-11-22T01:55:48.279708Z","updated_at":"2026-11-22T01:55:48.403100Z"}}'
    FROM (SELECT CAST(outbox_next_sequence('pay_' || CAST(:n AS text)) AS bigint) AS sequence FROM payment_outcome) s
), idempotency_completion AS (
    UPDATE idempotency_keys SET state = 'completed', resource_id = 'pay_' || CAST(:n AS text), response_status = 201,
        response_body = '{"id":"pay_01a200f768347e8fa75923db0c2f99cc","object":"payment","status":"succeeded","amount":1500,"currency":"KES","fee":44,"reference":"order-1001","metadata":{},"payment_method":{"type":"card","brand":"visa","bin":"424242","last4":"4242"},"provider":"acquirer_a","attempts":1,"risk":{"score":0,"decision":"allow","reasons":[]},"created_at":"2026-11-22T01:55:43.796384Z","updated_at":"2026-11-22T01:55:44.920885Z"}'
    WHERE merchant_id = 'mer_demo' AND idempotency_key = 'key-' || CAST(:n AS text) AND state = 'in_progress'
    RETURNING 1
)
SELECT malipo_require((SELECT count(*) FROM payment_outcome) = 1, 'payment was not processing')
   AND malipo_require((SELECT count(*) FROM idempotency_completion) = 1, 'idempotency key was not in progress');
