package org.malipo.gateway.ledger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/ledger/trial_balance} (scope {@code admin}): per currency, the sums of all
 * debit and credit postings and every account's balance, read in one repeatable-read snapshot so
 * the figures agree with each other while payments keep flowing (INVARIANTS.md 2), plus the
 * invariant checks an operator can run on a live system.
 */
@RestController
final class TrialBalanceController {

  private final DatabaseClient db;
  private final TransactionalOperator snapshot;

  private final AuditLog audit;

  TrialBalanceController(DatabaseClient db, ReactiveTransactionManager transactionManager, AuditLog audit) {
    this.db = db;
    this.audit = audit;
    this.snapshot = ReadSnapshot.of(transactionManager);
  }

  /**
   * @return {@code {currencies: [{currency, total_debits, total_credits, balanced, accounts:
   *     [{account, normal_side, balance}]}], checks: [{name, passed, offending_ids}]}}; amounts in
   *     minor units; each balance is on the account's normal side and derived from its postings
   */
  @GetMapping(path = "/v1/ledger/trial_balance", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<TrialBalance> trialBalance(ServerWebExchange exchange) {
    Principal.of(exchange).require(Principal.ADMIN);
    Mono<Map<String, long[]>> totals = db.sql("""
            SELECT currency,
                   coalesce(sum(amount_minor) FILTER (WHERE direction = 'D'), 0) AS debits,
                   coalesce(sum(amount_minor) FILTER (WHERE direction = 'C'), 0) AS credits
            FROM postings GROUP BY currency ORDER BY currency""")
        .map(row -> Map.entry(row.get("currency", String.class),
            new long[] {row.get("debits", Long.class), row.get("credits", Long.class)}))
        .all()
        .collectMap(Map.Entry::getKey, Map.Entry::getValue, LinkedHashMap::new);
    Mono<List<AccountRow>> accounts = db.sql("""
            SELECT a.id, a.currency, a.normal_side, a.non_negative, a.balance_minor AS cached,
                   coalesce(sum(CASE WHEN p.direction = a.normal_side THEN p.amount_minor ELSE -p.amount_minor END), 0)
                       AS derived
            FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.id
            GROUP BY a.id ORDER BY a.currency, a.id""")
        .map(row -> new AccountRow(row.get("currency", String.class), row.get("id", String.class),
            row.get("normal_side", String.class), Boolean.TRUE.equals(row.get("non_negative", Boolean.class)),
            row.get("cached", Long.class), row.get("derived", Long.class)))
        .all()
        .collectList();
    Mono<List<String>> unbalancedEntries = db.sql("""
            SELECT entry_id FROM postings GROUP BY entry_id, currency
            HAVING sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END) <> 0
            LIMIT 100""")
        .map(row -> row.get("entry_id", String.class))
        .all()
        .collectList();
    // Audited before it is read: a read that cannot be audited is not served (ADR 0055).
    return audit.record(audit.context(exchange), AuditAction.LEDGER_TRIAL_BALANCE_READ, "trial_balance", Map.of())
        .then(snapshot.transactional(Mono.zip(totals, accounts, unbalancedEntries)))
        .map(all -> build(all.getT1(), all.getT2(), all.getT3()));
  }

  private static TrialBalance build(Map<String, long[]> totals, List<AccountRow> accounts, List<String> unbalancedEntries) {
    List<CurrencyBalance> currencies = new ArrayList<>();
    List<String> unbalancedCurrencies = new ArrayList<>();
    totals.forEach((currency, sums) -> {
      List<AccountBalance> rows = accounts.stream()
          .filter(a -> a.currency().equals(currency))
          .map(a -> new AccountBalance(a.id(), "D".equals(a.normalSide()) ? "debit" : "credit", a.derived()))
          .toList();
      boolean balanced = sums[0] == sums[1];
      if (!balanced) {
        unbalancedCurrencies.add(currency);
      }
      currencies.add(new CurrencyBalance(currency, sums[0], sums[1], balanced, rows));
    });
    List<String> cachedDisagrees = accounts.stream()
        .filter(a -> a.cached() != null && a.cached() != a.derived()).map(AccountRow::id).toList();
    List<String> negative = accounts.stream()
        .filter(a -> a.nonNegative() && a.derived() < 0).map(AccountRow::id).toList();
    List<Check> checks = List.of(
        Check.of("ledger_balanced_per_currency", unbalancedCurrencies),
        Check.of("entries_balanced", unbalancedEntries),
        Check.of("cached_balances_agree", cachedDisagrees),
        Check.of("no_negative_merchant_balance", negative));
    return new TrialBalance(currencies, checks);
  }

  private record AccountRow(String currency, String id, String normalSide, boolean nonNegative, Long cached, long derived) {}

  record TrialBalance(List<CurrencyBalance> currencies, List<Check> checks) {}

  record CurrencyBalance(String currency, long totalDebits, long totalCredits, boolean balanced, List<AccountBalance> accounts) {}

  record AccountBalance(String account, String normalSide, long balance) {}

  /** One invariant (INVARIANTS.md) checked over the whole ledger. */
  record Check(String name, boolean passed, List<String> offendingIds) {
    static Check of(String name, List<String> offenders) {
      return new Check(name, offenders.isEmpty(), offenders);
    }
  }
}
