package org.malipo.gateway.ledger;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/balance} (scope {@code payments:read}): the caller's balances per currency, read
 * from the ledger: {@code pending} (captured, not yet settled) and {@code available} (settled),
 * in minor units.
 */
@RestController
final class BalanceController {

  private final DatabaseClient db;

  BalanceController(DatabaseClient db) {
    this.db = db;
  }

  /** @return {@code {object: "balance", currencies: [{currency, available, pending}]}} */
  @GetMapping(path = "/v1/balance", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Balance> balance(ServerWebExchange exchange) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_READ);
    String prefix = "merchant:" + principal.merchantId() + ":";
    return db.sql("SELECT id, currency, balance_minor FROM ledger_accounts WHERE starts_with(id, :prefix) ORDER BY id")
        .bind("prefix", prefix)
        .map(row -> new String[] {row.get("id", String.class), row.get("currency", String.class),
            String.valueOf(row.get("balance_minor", Long.class))})
        .all()
        .collect(TreeMap<String, long[]>::new, (byCurrency, row) -> {
          long[] amounts = byCurrency.computeIfAbsent(row[1], c -> new long[3]);
          // Held authorizations (manual capture) are not the merchant's yet: shown apart.
          amounts[row[0].contains(":available:") ? 0 : row[0].contains(":held:") ? 2 : 1] += Long.parseLong(row[2]);
        })
        .map(byCurrency -> new Balance("balance", byCurrency.entrySet().stream()
            .map(e -> new CurrencyBalance(e.getKey(), e.getValue()[0], e.getValue()[1],
                e.getValue()[2] == 0 ? null : e.getValue()[2]))
            .toList()));
  }

  record Balance(String object, List<CurrencyBalance> currencies) {}

  /** Amounts in minor units of {@code currency}; {@code held} (manual capture) only when not zero. */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  record CurrencyBalance(String currency, long available, long pending, Long held) {}
}
