package org.malipo.gateway.common;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Building a group-commit statement of 16 payments ({@code OutcomeWriter}, ADR 0061): each payment
 * a {@link SingleStatement#part} whose CTEs are renamed to {@code <name>_<index>}. The CTEs are of
 * the size and shape of a payment's outcome, attempts and stored answer. Nothing is executed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PartRenamingBenchmark {

  private static final String OUTCOME = """
      payment_outcome AS (
          UPDATE payments SET status = :payment_status, provider = :payment_provider, fee_minor = :payment_fee,
              risk_score = :payment_risk_score, risk_decision = :payment_risk_decision,
              risk_reasons = CAST(:payment_risk_reasons AS text[]), failure_code = :payment_failure_code,
              failure_message = :payment_failure_message, updated_at = :payment_updated
          WHERE id = :payment_id AND status = :payment_previous AND attempts_started = :payment_attempts
          RETURNING 1
      )""";
  private static final String ATTEMPTS = """
      payment_attempt_rows AS (
          UPDATE payment_attempts t SET outcome = a.outcome, rail_reference = COALESCE(t.rail_reference, a.rail_reference),
              response_code = a.response_code, failure_code = a.failure_code, latency_ms = GREATEST(t.latency_ms, a.latency_ms)
          FROM unnest(CAST(:attempt_ids AS text[]), CAST(:attempt_outcomes AS text[]), CAST(:attempt_references AS text[]),
              CAST(:attempt_codes AS text[]), CAST(:attempt_failures AS text[]), CAST(:attempt_latencies AS bigint[]))
              AS a(id, outcome, rail_reference, response_code, failure_code, latency_ms)
          WHERE t.id = a.id AND t.payment_id = :payment_id AND t.outcome IN ('in_flight', 'unknown', 'pending')
              AND EXISTS (SELECT 1 FROM payment_outcome)
          RETURNING 1
      )""";
  private static final String ANSWER = """
      idempotency_completion AS (
          UPDATE idempotency_keys SET state = 'completed', resource_id = :key_resource, response_status = :key_status,
              response_body = :key_body
          WHERE merchant_id = :key_merchant AND idempotency_key = :key_value AND state = 'in_progress'
              AND EXISTS (SELECT 1 FROM payment_outcome)
          RETURNING 1
      )""";

  /** 16 parts of three CTEs each, as one group-commit statement. */
  @Benchmark
  public SingleStatement sixteenParts() {
    SingleStatement statement = new SingleStatement();
    for (int i = 0; i < 16; i++) {
      statement.part(i).with(OUTCOME).with(ATTEMPTS).with(ANSWER);
    }
    return statement;
  }
}
