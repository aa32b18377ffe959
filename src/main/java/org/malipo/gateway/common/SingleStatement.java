package org.malipo.gateway.common;

import io.r2dbc.spi.Parameters;
import io.r2dbc.spi.R2dbcException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import reactor.core.publisher.Mono;

/**
 * The writes of one unit of work as <em>one</em> SQL statement: data-modifying common table
 * expressions (CTEs) contributed by the packages that own the tables, and requirements checked by
 * the statement itself. PostgreSQL runs a statement atomically, so outside a transaction it is its
 * own transaction: one round trip instead of {@code BEGIN}, one per write, and {@code COMMIT}
 * (docs/adr/0063-single-statement-payment-writes.md).
 *
 * <p>Rules for contributors: CTE names and parameter names carry the owner's prefix (they share
 * one namespace); a CTE that must run after another's row lock selects {@code FROM} it. PostgreSQL
 * runs a data-modifying CTE when it is first read, and the ones nobody reads after the main query,
 * <em>last written first</em> (its executor queues them with {@code lcons}): a caller that wants a
 * lock taken as late as possible adds its CTEs early, right after the CTE they depend on.
 *
 * <p>A requirement that does not hold raises SQLSTATE {@value #REQUIREMENT_FAILED} from {@code
 * malipo_require} (V8), which aborts the whole statement; {@link #execute} signals it as an
 * {@link IllegalStateException} carrying the requirement's message. Not thread-safe: build, then
 * execute once.
 */
public final class SingleStatement {

  /** SQLSTATE raised by {@code malipo_require()} when a requirement does not hold. */
  public static final String REQUIREMENT_FAILED = "MP001";

  private final List<String> ctes = new ArrayList<>();
  private final Map<String, Object> values = new LinkedHashMap<>();
  private final List<String> requirements = new ArrayList<>();

  /**
   * Adds a CTE, written as {@code name AS (…)}.
   *
   * @return this
   */
  public SingleStatement with(String cte) {
    ctes.add(cte);
    return this;
  }

  /**
   * Binds a named parameter ({@code :name} in a CTE).
   *
   * @param value the value, or null for SQL NULL
   * @param type the value's Java type, which also types a null
   * @return this
   */
  public SingleStatement bind(String name, Object value, Class<?> type) {
    if (values.putIfAbsent(name, value == null ? Parameters.in(type) : Parameters.in(value)) != null) {
      throw new IllegalArgumentException("parameter bound twice: " + name);
    }
    return this;
  }

  /**
   * Binds a non-null named parameter.
   *
   * @return this
   */
  public SingleStatement bind(String name, Object value) {
    return bind(name, value, value.getClass());
  }

  /**
   * Adds a condition the statement must meet, or write nothing at all.
   *
   * @param condition an SQL boolean expression over the CTEs, e.g. {@code (SELECT count(*) FROM
   *     payment_outcome) = 1}
   * @param failure the message of the {@link IllegalStateException} when it does not hold
   * @return this
   */
  public SingleStatement require(String condition, String failure) {
    String parameter = "require_" + requirements.size();
    requirements.add("malipo_require(" + condition + ", :" + parameter + ")");
    return bind(parameter, failure);
  }

  /**
   * Runs the statement: every CTE, then the requirements.
   *
   * @return completes when the statement (and, outside a transaction, its commit) is done; error
   *     {@link IllegalStateException} when a requirement did not hold, the translated database
   *     error otherwise (nothing of the statement is written either way)
   */
  public Mono<Void> execute(DatabaseClient db) {
    String select = requirements.isEmpty() ? "SELECT 1" : "SELECT " + String.join(" AND ", requirements);
    return spec(db, select).then().onErrorMap(SingleStatement::isRequirementFailure,
        error -> new IllegalStateException(requirementMessage(error), error));
  }

  /**
   * The statement with the caller's main query instead of the requirements (for a statement
   * whose answer is a row, such as a claim); {@link #require} must not have been used.
   *
   * @param select the main query, e.g. {@code SELECT count(*) AS claimed FROM idempotency_claim}
   */
  public GenericExecuteSpec query(DatabaseClient db, String select) {
    if (!requirements.isEmpty()) {
      throw new IllegalStateException("requirements are checked by execute(), not by a caller's query");
    }
    return spec(db, select);
  }

  private GenericExecuteSpec spec(DatabaseClient db, String select) {
    if (ctes.isEmpty()) {
      throw new IllegalStateException("no CTE added");
    }
    GenericExecuteSpec spec = db.sql("WITH " + String.join(",\n", ctes) + "\n" + select);
    for (Map.Entry<String, Object> value : values.entrySet()) {
      spec = spec.bind(value.getKey(), value.getValue());
    }
    return spec;
  }

  private static boolean isRequirementFailure(Throwable error) {
    return r2dbcCause(error) instanceof R2dbcException cause && REQUIREMENT_FAILED.equals(cause.getSqlState());
  }

  private static String requirementMessage(Throwable error) {
    return r2dbcCause(error).getMessage();
  }

  private static R2dbcException r2dbcCause(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof R2dbcException r2dbc) {
        return r2dbc;
      }
    }
    return null;
  }
}
