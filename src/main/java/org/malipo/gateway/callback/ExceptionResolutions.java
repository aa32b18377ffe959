package org.malipo.gateway.callback;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditContext;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.ledger.Accounts;
import org.malipo.gateway.ledger.InsufficientBalanceException;
import org.malipo.gateway.ledger.Ledger;
import org.malipo.gateway.ledger.Ledger.Posting;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/**
 * An operator's resolution of an exception ({@code POST /v1/exceptions/{id}/resolve}, issue 23,
 * docs/reconciliation.md §Resolutions): the case is closed, and what it held in suspense
 * ({@code s}, credit positive) and at the rail's clearing account ({@code c}) goes where the action
 * says, in one balanced journal entry, with an audit row, all in one transaction.
 *
 * <p>Let {@code v = s - c}: the source legs are {@code D suspense s} (or {@code C suspense -s}) and
 * {@code C clearing c}; the counter leg is {@code v} credited (or {@code -v} debited) to:
 * <ul>
 *   <li>{@code accept_rail}: the merchant's {@code available} balance (the rail's figure stands;
 *       the merchant gets or bears the difference); needs the case's merchant;</li>
 *   <li>{@code accept_gateway}: the rail's clearing account (our figure stands; the rail owes or is
 *       owed the difference, and its next statement must show it);</li>
 *   <li>{@code refund_payer}: the rail's clearing account, when {@code v > 0} only (money we hold
 *       goes back to the payer through the rail);</li>
 *   <li>{@code write_off}: {@code gateway:write_offs} (the gateway absorbs a loss or keeps a gain).</li>
 * </ul>
 * Postings on one account are netted; when nothing is left no entry is posted. So suspense always
 * equals Σ {@code suspense_minor} of the open cases (INVARIANTS.md 11).
 */
@Component
final class ExceptionResolutions {

  /** The actions, with their wire names. */
  enum Action {
    ACCEPT_RAIL, ACCEPT_GATEWAY, REFUND_PAYER, WRITE_OFF;

    String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Action fromWire(String wire) {
      for (Action action : values()) {
        if (action.wireName().equals(wire)) {
          return action;
        }
      }
      return null;
    }
  }

  private final DatabaseClient db;
  private final Ledger ledger;
  private final AuditLog audit;
  private final TransactionalOperator tx;

  ExceptionResolutions(DatabaseClient db, Ledger ledger, AuditLog audit, ReactiveTransactionManager transactionManager) {
    this.db = db;
    this.ledger = ledger;
    this.audit = audit;
    this.tx = TransactionalOperator.create(transactionManager);
  }

  /**
   * Resolves case {@code id}.
   *
   * @return the case as resolved; errors {@link ApiProblem} {@code 404 not_found}, {@code 409
   *     exception_already_resolved}, {@code 422 resolution_not_allowed}, {@code 422
   *     insufficient_balance} (accept_rail would overdraw the merchant)
   */
  Mono<ExceptionCases.Case> resolve(String id, Action action, String note, AuditContext context) {
    return tx.transactional(db.sql("SELECT " + ExceptionCases.COLUMNS + " FROM payment_exceptions WHERE id = :id FOR UPDATE")
        .bind("id", id).map(ExceptionCases::read).first()
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No exception has this id.")))
        .flatMap(open -> {
          if (open.resolvedAt() != null) {
            return Mono.error(ApiProblem.of(ProblemCode.EXCEPTION_ALREADY_RESOLVED, "The exception was resolved at "
                + open.resolvedAt() + " (" + open.resolution().action() + ")."));
          }
          List<Posting> postings = postings(open, action);
          Mono<String> entry = postings.isEmpty() ? Mono.just("")
              : ledger.postResolution(id, open.paymentId(), open.currency().strip(), postings)
                  .onErrorMap(InsufficientBalanceException.class, e -> ApiProblem.of(ProblemCode.INSUFFICIENT_BALANCE,
                      "The merchant's available balance cannot cover the difference; choose another action."));
          return entry.flatMap(entryId -> db.sql("""
                  UPDATE payment_exceptions SET resolved_at = now(), resolution = :action, resolution_note = :note,
                         resolution_entry = :entry, resolved_by = :actor
                  WHERE id = :id AND resolved_at IS NULL""")
              .bind("action", action.wireName()).bind("note", note)
              .bind("entry", param(entryId.isEmpty() ? null : entryId, String.class))
              .bind("actor", context.clientId() == null ? "unknown" : context.clientId())
              .bind("id", id).then()
              .then(audit.record(context, AuditAction.EXCEPTION_RESOLVED, id, details(open, action, note, entryId))));
        })
        .then(db.sql("SELECT " + ExceptionCases.COLUMNS + " FROM payment_exceptions WHERE id = :id").bind("id", id)
            .map(ExceptionCases::read).one()));
  }

  private static Map<String, Object> details(ExceptionCases.Case c, Action action, String note, String entryId) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("action", action.wireName());
    details.put("kind", c.kind());
    details.put("suspense_minor", c.resolution().suspenseMinor());
    details.put("clearing_minor", c.resolution().clearingMinor());
    details.put("journal_entry", entryId.isEmpty() ? null : entryId);
    details.put("note", note);
    return details;
  }

  /** The resolution's postings (class Javadoc), netted per account; empty when nothing moves. */
  static List<Posting> postings(ExceptionCases.Case c, Action action) {
    long s = c.resolution().suspenseMinor();
    long clearing = c.resolution().clearingMinor();
    String currency = c.currency().strip();
    long v = Math.subtractExact(s, clearing);
    if (action == Action.REFUND_PAYER && v <= 0) {
      throw ApiProblem.of(ProblemCode.RESOLUTION_NOT_ALLOWED,
          "refund_payer needs money held for the payer; this exception holds none.");
    }
    if (action == Action.ACCEPT_RAIL && v != 0 && c.merchantId() == null) {
      throw ApiProblem.of(ProblemCode.RESOLUTION_NOT_ALLOWED,
          "accept_rail credits or debits a merchant; no merchant is known for this exception.");
    }
    if ((clearing != 0 || action == Action.ACCEPT_GATEWAY || action == Action.REFUND_PAYER) && v != 0 && c.rail() == null) {
      throw ApiProblem.of(ProblemCode.RESOLUTION_NOT_ALLOWED, "this exception names no rail.");
    }
    Map<String, Long> net = new TreeMap<>(); // debit positive
    if (s != 0) {
      net.merge(Accounts.suspense(currency), s, Math::addExact);
    }
    if (clearing != 0) {
      net.merge(Accounts.railClearing(c.rail(), currency), -clearing, Math::addExact);
    }
    if (v != 0) {
      String counter = switch (action) {
        case ACCEPT_RAIL -> Accounts.merchantAvailable(c.merchantId(), currency);
        case ACCEPT_GATEWAY, REFUND_PAYER -> Accounts.railClearing(c.rail(), currency);
        case WRITE_OFF -> Accounts.writeOffs(currency);
      };
      net.merge(counter, -v, Math::addExact);
    }
    List<Posting> postings = new ArrayList<>();
    net.forEach((account, signed) -> {
      if (signed != 0) {
        postings.add(new Posting(account, signed > 0, Math.abs(signed)));
      }
    });
    return postings;
  }

  private static <T> io.r2dbc.spi.Parameter param(T value, Class<T> type) {
    return value == null ? io.r2dbc.spi.Parameters.in(type) : io.r2dbc.spi.Parameters.in(value);
  }
}
