package org.malipo.gateway.ledger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/ledger/trial_balance} (scope {@code admin}): per currency, the sums of all
 * debit and credit postings and every account's balance, read in one repeatable-read snapshot so
 * the figures agree with each other while payments keep flowing (INVARIANTS.md 2).
 */
@RestController
final class TrialBalanceController {

  private final DatabaseClient db;
  private final TransactionalOperator snapshot;

  TrialBalanceController(DatabaseClient db, ReactiveTransactionManager transactionManager) {
    this.db = db;
    DefaultTransactionDefinition definition = new DefaultTransactionDefinition();
    definition.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
    definition.setReadOnly(true);
    this.snapshot = TransactionalOperator.create(transactionManager, definition);
  }

  /**
   * @return {@code {currencies: [{currency, total_debits, total_credits, balanced, accounts:
   *     [{account, normal_side, balance}]}]}}, amounts in minor units; balances are on the
   *     account's normal side
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
    Mono<List<AccountRow>> accounts = db.sql(
            "SELECT id, currency, normal_side, balance_minor FROM ledger_accounts ORDER BY currency, id")
        .map(row -> new AccountRow(row.get("currency", String.class), row.get("id", String.class),
            row.get("normal_side", String.class), row.get("balance_minor", Long.class)))
        .all()
        .collectList();
    return snapshot.transactional(totals.zipWith(accounts)).map(pair -> build(pair.getT1(), pair.getT2()));
  }

  private static TrialBalance build(Map<String, long[]> totals, List<AccountRow> accounts) {
    List<CurrencyBalance> currencies = new ArrayList<>();
    totals.forEach((currency, sums) -> {
      List<AccountBalance> rows = accounts.stream()
          .filter(a -> a.currency().equals(currency))
          .map(a -> new AccountBalance(a.id(), "D".equals(a.normalSide()) ? "debit" : "credit", a.balanceMinor()))
          .toList();
      currencies.add(new CurrencyBalance(currency, sums[0], sums[1], sums[0] == sums[1], rows));
    });
    return new TrialBalance(currencies);
  }

  private record AccountRow(String currency, String id, String normalSide, long balanceMinor) {}

  record TrialBalance(List<CurrencyBalance> currencies) {}

  record CurrencyBalance(String currency, long totalDebits, long totalCredits, boolean balanced, List<AccountBalance> accounts) {}

  record AccountBalance(String account, String normalSide, long balance) {}
}
