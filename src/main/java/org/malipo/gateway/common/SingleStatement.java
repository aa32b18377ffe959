package org.malipo.gateway.common;

import io.r2dbc.spi.Parameters;
import io.r2dbc.spi.R2dbcException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 *
 * <p>One statement can carry several units of work of the same kind (group commit,
 * docs/adr/0061-ledger-group-commit.md): each is written into its own {@link #part}, whose CTE and
 * parameter names get a suffix, so the owners' SQL is the same for one unit or many.
 */
public final class SingleStatement {

  /** SQLSTATE raised by {@code malipo_require()} when a requirement does not hold. */
  public static final String REQUIREMENT_FAILED = "MP001";

  /** A {@code ::} cast, or an identifier with the {@code :} of a named parameter before it. */
  private static final Pattern NAMES = Pattern.compile("::|(:?)\\b([A-Za-z_][A-Za-z0-9_]*)\\b");

  /**
   * Renamed CTE texts, by text, part suffix and the part's CTEs declared so far (all the rename
   * depends on). The owners' CTE texts are a fixed set, so a group-commit statement is built from
   * map reads instead of a regex pass over every CTE of every part (2.2 % of the gateway's CPU at
   * 200 payments/s, docs/performance.md). Bounded: past {@value #RENAMED_MAX} entries (SQL built
   * with values in it, which the owners do not do) texts are renamed without being kept.
   */
  private static final ConcurrentMap<Rename, String> RENAMED = new ConcurrentHashMap<>();
  private static final int RENAMED_MAX = 4_096;

  private record Rename(String sql, String suffix, Set<String> declared) {}

  private final List<String> ctes;
  private final Map<String, Object> values;
  private final List<String> requirements;
  /** "" for the statement itself, {@code _<index>} for a part. */
  private final String suffix;
  /** The CTEs declared in this part so far (their names without the suffix). */
  private final Set<String> declared = new HashSet<>();

  /** An empty statement. */
  public SingleStatement() {
    this(new ArrayList<>(), new LinkedHashMap<>(), new ArrayList<>(), "");
  }

  private SingleStatement(List<String> ctes, Map<String, Object> values, List<String> requirements, String suffix) {
    this.ctes = ctes;
    this.values = values;
    this.requirements = requirements;
    this.suffix = suffix;
  }

  /**
   * A part of this statement for one of several units of work written together: what is added
   * to the part is added to this statement, with every {@code :parameter} and every CTE declared
   * earlier in the same part renamed to {@code <name>_<index>}. Owners write their SQL as for a
   * statement of their own; the part keeps the units' names apart. Names that are not the part's
   * own (tables, columns, CTEs of the statement itself) are left as they are, so a CTE name must
   * not also be a table or column name that a later CTE of the same part mentions.
   *
   * @param index distinct for each part of this statement, ≥ 0
   * @throws IllegalStateException when called on a part
   */
  public SingleStatement part(int index) {
    if (!suffix.isEmpty()) {
      throw new IllegalStateException("a part has no parts");
    }
    if (index < 0) {
      throw new IllegalArgumentException("part index must be >= 0: " + index);
    }
    return new SingleStatement(ctes, values, requirements, "_" + index);
  }

  /**
   * The name this statement or part gives to one of its CTEs or parameters: {@code name} itself
   * in a statement, {@code name_<index>} in a part.
   */
  public String name(String name) {
    return name + suffix;
  }

  /**
   * Adds a CTE, written as {@code name AS (…)}.
   *
   * @return this
   */
  public SingleStatement with(String cte) {
    int as = cte.indexOf(" AS (");
    if (as <= 0) {
      throw new IllegalArgumentException("a CTE is written as name AS (...): " + cte);
    }
    declared.add(cte.substring(0, as).strip());
    ctes.add(renamed(cte));
    return this;
  }

  /** The text with this part's own names suffixed; unchanged in the statement itself. */
  private String renamed(String sql) {
    if (suffix.isEmpty()) {
      return sql;
    }
    Rename key = new Rename(sql, suffix, Set.copyOf(declared));
    String known = RENAMED.get(key);
    if (known != null) {
      return known;
    }
    String renamed = rename(sql);
    if (RENAMED.size() < RENAMED_MAX) {
      RENAMED.putIfAbsent(key, renamed);
    }
    return renamed;
  }

  private String rename(String sql) {
    Matcher names = NAMES.matcher(sql);
    StringBuilder out = new StringBuilder(sql.length() + 64);
    while (names.find()) {
      String name = names.group(2);
      boolean ours = name != null && (!names.group(1).isEmpty() || declared.contains(name));
      names.appendReplacement(out, Matcher.quoteReplacement(ours ? names.group() + suffix : names.group()));
    }
    return names.appendTail(out).toString();
  }

  /**
   * Binds a named parameter ({@code :name} in a CTE).
   *
   * @param value the value, or null for SQL NULL
   * @param type the value's Java type, which also types a null
   * @return this
   */
  public SingleStatement bind(String name, Object value, Class<?> type) {
    if (values.putIfAbsent(name(name), value == null ? Parameters.in(type) : Parameters.in(value)) != null) {
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
    // Numbered across the whole statement, so not renamed again as a part's parameter.
    String parameter = "require_" + requirements.size();
    requirements.add("malipo_require(" + renamed(condition) + ", :" + parameter + ")");
    if (values.putIfAbsent(parameter, Parameters.in(failure)) != null) {
      throw new IllegalArgumentException("parameter bound twice: " + parameter);
    }
    return this;
  }

  /**
   * Runs the statement: every CTE, then the requirements.
   *
   * @return completes when the statement (and, outside a transaction, its commit) is done; error
   *     {@link IllegalStateException} when a requirement did not hold, the translated database
   *     error otherwise (nothing of the statement is written either way)
   */
  public Mono<Void> execute(DatabaseClient db) {
    if (!suffix.isEmpty()) {
      throw new IllegalStateException("a part is executed by its statement");
    }
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
    if (!suffix.isEmpty()) {
      throw new IllegalStateException("a part is executed by its statement");
    }
    if (!requirements.isEmpty()) {
      throw new IllegalStateException("requirements are checked by execute(), not by a caller's query");
    }
    return spec(db, select);
  }

  private GenericExecuteSpec spec(DatabaseClient db, String select) {
    if (ctes.isEmpty()) {
      throw new IllegalStateException("no CTE added");
    }
    // All at once: each bind(name, value) of Spring's immutable spec copies every binding so far,
    // which made binding a statement quadratic in its parameters (~1 % of the gateway's CPU at
    // 200 payments/s, and a 16-payment group-commit statement has hundreds).
    return db.sql("WITH " + String.join(",\n", ctes) + "\n" + select).bindValues(values);
  }

  /**
   * Whether {@code error} is a requirement that did not hold, raised by {@code malipo_require}
   * in a caller's own main query ({@link #query}), which {@link #execute} would have signalled as
   * {@link IllegalStateException}.
   */
  public static boolean isRequirementFailure(Throwable error) {
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
