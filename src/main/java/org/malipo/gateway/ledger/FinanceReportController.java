package org.malipo.gateway.ledger;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.malipo.gateway.api.DateParams;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.ResponseEntity;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Finance and regulator reports as CSV (scope {@code admin}, issue 23; audited as
 * {@code report.read}; amounts in minor units of the row's currency):
 * <ul>
 *   <li>{@code GET /v1/reports/trial_balance.csv?date=YYYY-MM-DD}: the trial balance at the end of
 *       that UTC day, from the append-only postings of the entries made before midnight, so the
 *       same day always gives the same file: {@code currency, account, normal_side, debits,
 *       credits, balance} per account, then one {@code TOTAL} row per currency whose
 *       {@code balance} is debits minus credits (0 when balanced).</li>
 *   <li>{@code GET /v1/reports/volumes.csv?from=YYYY-MM-DD&to=YYYY-MM-DD} (inclusive, at most 366
 *       days): per UTC day, rail and currency: payments succeeded (count, amount, fees), payments
 *       failed, refunds succeeded and payouts succeeded (count, amount).</li>
 * </ul>
 * Read in one repeatable-read snapshot. Errors: {@code 400 parameter_missing}/{@code
 * parameter_invalid} ({@code date}, {@code from}, {@code to}), {@code 401}, {@code 403}.
 */
@RestController
final class FinanceReportController {

  private static final int MAX_DAYS = 366;

  private final DatabaseClient db;
  private final AuditLog audit;
  private final TransactionalOperator snapshot;

  FinanceReportController(DatabaseClient db, AuditLog audit, ReactiveTransactionManager transactionManager) {
    this.db = db;
    this.audit = audit;
    this.snapshot = ReadSnapshot.of(transactionManager);
  }

  @GetMapping(path = "/v1/reports/trial_balance.csv", produces = "text/csv")
  Mono<ResponseEntity<String>> trialBalance(@RequestParam(name = "date", required = false) String date,
      ServerWebExchange exchange) {
    return Mono.fromCallable(() -> {
          Principal.of(exchange).require(Principal.ADMIN);
          return DateParams.required(date, "date");
        })
        .flatMap(day -> {
          Instant end = day.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
          Mono<List<List<Object>>> rows = db.sql("""
                  SELECT p.currency, p.account_id, a.normal_side,
                         coalesce(sum(p.amount_minor) FILTER (WHERE p.direction = 'D'), 0) AS debits,
                         coalesce(sum(p.amount_minor) FILTER (WHERE p.direction = 'C'), 0) AS credits
                  FROM postings p
                  JOIN journal_entries e ON e.id = p.entry_id
                  JOIN ledger_accounts a ON a.id = p.account_id
                  WHERE e.created_at < :end
                  GROUP BY p.currency, p.account_id, a.normal_side
                  ORDER BY p.currency, p.account_id""")
              .bind("end", end)
              .map(row -> List.<Object>of(row.get("currency", String.class).strip(), row.get("account_id", String.class),
                  row.get("normal_side", String.class).strip().equals("D") ? "debit" : "credit",
                  row.get("debits", Long.class), row.get("credits", Long.class)))
              .all()
              .collectList();
          return audited(exchange, "trial_balance.csv", Map.of("date", day.toString()), rows)
              .map(list -> csv(List.of("currency", "account", "normal_side", "debits", "credits", "balance"), printer -> {
                String currency = null;
                long debits = 0;
                long credits = 0;
                for (List<Object> r : list) {
                  if (currency != null && !currency.equals(r.get(0))) {
                    printer.printRecord(currency, "TOTAL", "", debits, credits, debits - credits);
                    debits = 0;
                    credits = 0;
                  }
                  currency = (String) r.get(0);
                  long d = (Long) r.get(3);
                  long c = (Long) r.get(4);
                  debits = Math.addExact(debits, d);
                  credits = Math.addExact(credits, c);
                  printer.printRecord(currency, r.get(1), r.get(2), d, c, "debit".equals(r.get(2)) ? d - c : c - d);
                }
                if (currency != null) {
                  printer.printRecord(currency, "TOTAL", "", debits, credits, debits - credits);
                }
              }))
              .map(body -> file("trial_balance-" + day + ".csv", body));
        });
  }

  @GetMapping(path = "/v1/reports/volumes.csv", produces = "text/csv")
  Mono<ResponseEntity<String>> volumes(@RequestParam(name = "from", required = false) String from,
      @RequestParam(name = "to", required = false) String to, ServerWebExchange exchange) {
    return Mono.fromCallable(() -> {
          Principal.of(exchange).require(Principal.ADMIN);
          return DateParams.range(from, to, MAX_DAYS);
        })
        .flatMap(range -> {
          Instant start = range.start();
          Instant end = range.end();
          Mono<List<List<Object>>> rows = db.sql("""
                  WITH pay AS (
                      SELECT (created_at AT TIME ZONE 'UTC')::date AS day, coalesce(provider, '') AS rail, currency,
                             count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
                             coalesce(sum(amount_minor) FILTER (WHERE status = 'succeeded'), 0) AS succeeded_amount,
                             coalesce(sum(fee_minor) FILTER (WHERE status = 'succeeded'), 0) AS fees,
                             count(*) FILTER (WHERE status = 'failed') AS failed
                      FROM payments WHERE created_at >= :start AND created_at < :end
                      GROUP BY 1, 2, 3),
                  ref AS (
                      SELECT (created_at AT TIME ZONE 'UTC')::date AS day, rail, currency,
                             count(*) AS refunds, sum(amount_minor) AS refunds_amount
                      FROM refunds WHERE status = 'succeeded' AND created_at >= :start AND created_at < :end
                      GROUP BY 1, 2, 3),
                  out AS (
                      SELECT (created_at AT TIME ZONE 'UTC')::date AS day, rail, currency,
                             count(*) AS payouts, sum(amount_minor) AS payouts_amount
                      FROM payouts WHERE status = 'succeeded' AND created_at >= :start AND created_at < :end
                      GROUP BY 1, 2, 3)
                  SELECT day, rail, currency,
                         coalesce(max(succeeded), 0) AS succeeded, coalesce(max(succeeded_amount), 0) AS succeeded_amount,
                         coalesce(max(fees), 0) AS fees, coalesce(max(failed), 0) AS failed,
                         coalesce(max(refunds), 0) AS refunds, coalesce(max(refunds_amount), 0) AS refunds_amount,
                         coalesce(max(payouts), 0) AS payouts, coalesce(max(payouts_amount), 0) AS payouts_amount
                  FROM (SELECT day, rail, currency, succeeded, succeeded_amount, fees, failed,
                               NULL::bigint AS refunds, NULL::numeric AS refunds_amount, NULL::bigint AS payouts,
                               NULL::numeric AS payouts_amount FROM pay
                        UNION ALL SELECT day, rail, currency, NULL, NULL, NULL, NULL, refunds, refunds_amount, NULL, NULL FROM ref
                        UNION ALL SELECT day, rail, currency, NULL, NULL, NULL, NULL, NULL, NULL, payouts, payouts_amount FROM out) v
                  GROUP BY day, rail, currency
                  ORDER BY day, rail, currency""")
              .bind("start", start).bind("end", end)
              .map(row -> List.<Object>of(row.get("day", LocalDate.class).toString(), row.get("rail", String.class),
                  row.get("currency", String.class).strip(), number(row.get("succeeded")), number(row.get("succeeded_amount")),
                  number(row.get("fees")), number(row.get("failed")), number(row.get("refunds")),
                  number(row.get("refunds_amount")), number(row.get("payouts")), number(row.get("payouts_amount"))))
              .all()
              .collectList();
          return audited(exchange, "volumes.csv", Map.of("from", range.first().toString(), "to", range.last().toString()), rows)
              .map(list -> csv(List.of("date", "rail", "currency", "payments_succeeded", "payments_succeeded_amount",
                  "fees", "payments_failed", "refunds_succeeded", "refunds_succeeded_amount", "payouts_succeeded",
                  "payouts_succeeded_amount"), printer -> {
                    for (List<Object> r : list) {
                      printer.printRecord(r);
                    }
                  }))
              .map(body -> file("volumes-" + range.first() + "-" + range.last() + ".csv", body));
        });
  }

  private Mono<List<List<Object>>> audited(ServerWebExchange exchange, String report, Map<String, ?> details,
      Mono<List<List<Object>>> rows) {
    // Audited before it is read, as the trial balance (ADR 0055).
    return audit.record(audit.context(exchange), AuditAction.REPORT_READ, report, details)
        .then(snapshot.transactional(rows));
  }

  private static long number(Object value) {
    return value == null ? 0 : ((Number) value).longValue();
  }

  /** Writes rows with Commons CSV. */
  @FunctionalInterface
  private interface Rows {
    void print(CSVPrinter printer) throws IOException;
  }

  private static String csv(List<String> header, Rows rows) {
    StringWriter out = new StringWriter();
    try (CSVPrinter printer = CSVFormat.RFC4180.builder().setHeader(header.toArray(String[]::new)).get().print(out)) {
      rows.print(printer);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static ResponseEntity<String> file(String name, String body) {
    return ResponseEntity.ok()
        .header("Content-Type", "text/csv; charset=utf-8")
        .header("Content-Disposition", "attachment; filename=\"" + name + "\"")
        .body(body);
  }
}
