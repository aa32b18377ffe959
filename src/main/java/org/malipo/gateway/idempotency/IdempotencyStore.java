package org.malipo.gateway.idempotency;

import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.common.SingleStatement;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Idempotency keys in PostgreSQL: the primary key {@code (merchant_id, idempotency_key)} is the
 * guard that two requests can never both run, whatever a cache does (INVARIANTS.md 8).
 *
 * <p>{@link #claim} and {@link #complete} join the caller's transaction, so the key and the
 * business rows commit together. A key is kept at least {@value #RETENTION_HOURS} h; after that
 * it may be claimed again, but only once the payment or refund it created is final: a key is never
 * re-claimed while its operation may still charge (issue 18, docs/adr/0065-payment-lifecycle.md).
 */
@Component
public final class IdempotencyStore {

  /** How long a key is remembered, in hours (Stripe keeps 24 h). */
  public static final int RETENTION_HOURS = 24;

  /** The name of the claim's CTE in a single statement ({@link #claimIn}). */
  public static final String CLAIM = "idempotency_claim";

  private final DatabaseClient db;

  IdempotencyStore(DatabaseClient db) {
    this.db = db;
  }

  /** The result of a claim: this request runs, or the stored answer is replayed. */
  public sealed interface Claim {
    /** The key is ours; run the operation, then {@link #complete}. */
    record Claimed() implements Claim {}

    /**
     * The same request already completed; answer with this.
     *
     * @param status the first answer's HTTP status
     * @param body the first answer's JSON body
     */
    record Replay(int status, String body) implements Claim {}
  }

  /**
   * Claims {@code key} for a request with this fingerprint.
   *
   * @param fingerprint keyed hash of method, path and canonical body
   * @return {@link Claim.Claimed} or {@link Claim.Replay}; errors {@code 409
   *     idempotency_in_progress} (with {@code Retry-After}) while the first request runs and {@code
   *     422 idempotency_key_reused} when the key came with a different request
   */
  public Mono<Claim> claim(String merchantId, String key, String fingerprint, String resourceId) {
    SingleStatement statement = new SingleStatement();
    claimIn(statement, merchantId, key, fingerprint, resourceId);
    return statement.query(db, "SELECT 1 FROM " + CLAIM + " ")
        .map(row -> (Claim) new Claim.Claimed())
        .first()
        .switchIfEmpty(Mono.defer(() -> stored(merchantId, key, fingerprint)));
  }

  /**
   * Adds the claim of {@link #claim} to a caller's single statement: a CTE named {@value #CLAIM}
   * with one row when the key was claimed and none when it is taken, parameters {@code
   * :idempotency_*}. When it has no row the caller must write nothing (select {@code FROM} it) and
   * learn the answer from {@link #stored}.
   *
   * @param resourceId the id of what the request will create ({@code pay_…}, {@code ref_…}), so a
   *     retry while it runs, or after a failure, learns where its money is
   */
  public void claimIn(SingleStatement statement, String merchantId, String key, String fingerprint, String resourceId) {
    statement.with(CLAIM + " AS (" + """
                INSERT INTO idempotency_keys (merchant_id, idempotency_key, fingerprint, state, resource_id, expires_at)
                VALUES (:idempotency_merchant, :idempotency_key, :idempotency_fingerprint, 'in_progress',
                    :idempotency_resource, now() + make_interval(hours => :idempotency_hours))
                ON CONFLICT (merchant_id, idempotency_key) DO UPDATE
                  SET fingerprint = EXCLUDED.fingerprint, state = 'in_progress', resource_id = EXCLUDED.resource_id,
                      response_status = NULL, response_body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
                  WHERE idempotency_keys.expires_at < now() AND idempotency_keys.state = 'completed'
                    AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = idempotency_keys.resource_id
                                    AND p.status NOT IN ('succeeded', 'failed', 'canceled'))
                    AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.id = idempotency_keys.resource_id
                                    AND r.status = 'pending')
                    AND NOT EXISTS (SELECT 1 FROM payouts po WHERE po.id = idempotency_keys.resource_id
                                    AND po.status = 'pending')
                RETURNING 1
            )""")
        .bind("idempotency_merchant", merchantId)
        .bind("idempotency_key", key)
        .bind("idempotency_fingerprint", fingerprint)
        .bind("idempotency_resource", resourceId, String.class)
        .bind("idempotency_hours", RETENTION_HOURS);
  }

  /**
   * What a key that could not be claimed stands for.
   *
   * @return {@link Claim.Replay} of the stored answer; errors {@code 409 idempotency_in_progress}
   *     (with {@code Retry-After}) while the first request runs and {@code 422
   *     idempotency_key_reused} when the key came with a different request
   */
  public Mono<Claim> stored(String merchantId, String key, String fingerprint) {
    return db.sql("""
            SELECT fingerprint, state, resource_id, response_status, response_body FROM idempotency_keys
            WHERE merchant_id = :merchant AND idempotency_key = :key""")
        .bind("merchant", merchantId)
        .bind("key", key)
        .map(row -> {
          if (!fingerprint.equals(row.get("fingerprint", String.class))) {
            throw ApiProblem.of(ProblemCode.IDEMPOTENCY_KEY_REUSED,
                "This Idempotency-Key was used with a different request; use a new key for a new request.");
          }
          if (!"completed".equals(row.get("state", String.class))) {
            String resource = row.get("resource_id", String.class);
            ApiProblem inProgress = ApiProblem.of(ProblemCode.IDEMPOTENCY_IN_PROGRESS, resource == null
                    ? "A request with this Idempotency-Key is still being processed; retry shortly."
                    : resource + " is still being processed; retry shortly with the same Idempotency-Key.")
                .withHeaders(Map.of("Retry-After", "1"));
            throw resource == null ? inProgress : inProgress.withExtensions(Map.of(resourceMember(resource), resource));
          }
          return (Claim) new Claim.Replay(row.get("response_status", Integer.class), row.get("response_body", String.class));
        })
        .one()
        // The row vanished between the insert and the select (released by a failed first try).
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.IDEMPOTENCY_IN_PROGRESS,
                "A request with this Idempotency-Key is still being processed; retry shortly.")
            .withHeaders(Map.of("Retry-After", "1"))));
  }

  /** The problem member that names a resource id: {@code payment_id} or {@code refund_id}. */
  public static String resourceMember(String resourceId) {
    return resourceId.startsWith("ref_") ? "refund_id" : "payment_id";
  }

  /**
   * Stores the answer of a claimed key so later requests replay it.
   *
   * @param resourceId the id of what the request created ({@code pay_…})
   * @param status the HTTP status answered
   * @param body the JSON body answered
   */
  public Mono<Void> complete(String merchantId, String key, String resourceId, int status, String body) {
    SingleStatement statement = new SingleStatement();
    completeIn(statement, merchantId, key, resourceId, status, body, true);
    return statement.execute(db);
  }

  /**
   * Adds {@link #complete} to a caller's single statement: a CTE named {@code
   * idempotency_completion}, parameters {@code :idempotency_*}.
   *
   * @param required when true, the key must have been in progress (else the statement writes
   *     nothing and fails with {@link IllegalStateException}); when false a key that already holds
   *     an answer keeps it (a later outcome of a payment whose first answer was stored)
   */
  public void completeIn(SingleStatement statement, String merchantId, String key, String resourceId, int status,
      String body, boolean required) {
    statement.with("""
            idempotency_completion AS (
                UPDATE idempotency_keys SET state = 'completed', resource_id = :idempotency_resource,
                    response_status = :idempotency_status, response_body = :idempotency_body
                WHERE merchant_id = :idempotency_merchant AND idempotency_key = :idempotency_key
                    AND state = 'in_progress'
                RETURNING 1
            )""")
        .bind("idempotency_merchant", merchantId)
        .bind("idempotency_key", key)
        .bind("idempotency_resource", resourceId)
        .bind("idempotency_status", status)
        .bind("idempotency_body", body);
    if (required) {
      statement.require("(SELECT count(*) FROM idempotency_completion) = 1", "idempotency key was not in progress");
    }
  }

}
