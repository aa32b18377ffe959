package org.malipo.gateway.ledger;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.PageSizes;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Merchant settlements (issue 23): the payments {@link SettlementJob} moved from {@code pending} to
 * {@code available} on one UTC day, per merchant and currency.
 * <ul>
 *   <li>{@code GET /v1/settlements?limit&starting_after} (scope {@code payments:read}): the
 *       merchant's settlements, newest first: {@code {id, object: "settlement", currency,
 *       settlement_date, payments, gross, fees, refunds, net, created_at}} (minor units; {@code net}
 *       is what the ledger moved to {@code available}).</li>
 *   <li>{@code GET /v1/settlements/{id}/report.csv} (scope {@code payments:read}): one row per
 *       payment ({@code +amount}), fee ({@code -fee}) and refund taken from {@code pending}
 *       ({@code -amount}), then {@code total} (their sum) and {@code ledger_settled} (the sum of the
 *       settlement journal entries), which agree.</li>
 *   <li>{@code PUT /v1/merchants/{id}/settlement_schedule} (scope {@code admin}) {@code {frequency:
 *       "daily", delay_days: 0..30}}: the merchant's payments settle T+N UTC days after capture
 *       instead of after {@code malipo.settlement.delay}.</li>
 * </ul>
 * Another merchant's settlement is {@code 404}.
 */
@RestController
final class SettlementController {

  private static final byte[] EMPTY = new byte[0];

  private final DatabaseClient db;
  private final StrictJson json;

  SettlementController(DatabaseClient db, StrictJson json) {
    this.db = db;
    this.json = json;
  }

  /** A settlement on the wire. */
  record SettlementView(String id, String object, String currency, String settlementDate, long payments, long gross,
      long fees, long refunds, long net, String createdAt) {}

  /** {@code {object: "list", data, has_more}}. */
  record Page(String object, List<SettlementView> data, boolean hasMore) {}

  /** The schedule request and answer. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Schedule(String object, String merchantId, String frequency, Integer delayDays, Destination payoutDestination) {}

  /** A payout destination on file: {@code {type: "mobile_money", operator: "mpesa" | "mtn_momo", msisdn, name?}}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Destination(String type, String operator, String msisdn, String name) {}

  private static final String SUMMARY = """
      SELECT s.id, s.currency, s.settlement_date, s.created_at,
             count(p.id) AS payments, coalesce(sum(p.amount_minor), 0) AS gross, coalesce(sum(p.fee_minor), 0) AS fees,
             coalesce((SELECT sum(r.amount_minor) FROM refunds r JOIN payments q ON q.id = r.payment_id
                       WHERE q.settlement_id = s.id AND r.status <> 'failed' AND r.debited_account LIKE '%:pending:%'), 0) AS refunds,
             coalesce((SELECT sum(po.amount_minor) FROM postings po JOIN journal_entries e ON e.id = po.entry_id
                       JOIN payments q ON q.id = e.payment_id
                       WHERE q.settlement_id = s.id AND e.kind = 'settlement' AND po.direction = 'C'), 0) AS net
      FROM settlements s LEFT JOIN payments p ON p.settlement_id = s.id
      """;

  @GetMapping(path = "/v1/settlements", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Page> list(ServerWebExchange exchange, @RequestParam(name = "limit", required = false) String limit,
      @RequestParam(name = "starting_after", required = false) String startingAfter) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_READ);
    int size = PageSizes.parse(limit);
    DatabaseClient.GenericExecuteSpec spec = db.sql(SUMMARY + " WHERE s.merchant_id = :merchant"
            + (startingAfter == null ? "" : " AND s.id < :after")
            + " GROUP BY s.id ORDER BY s.id DESC LIMIT :limit")
        .bind("merchant", principal.merchantId()).bind("limit", size + 1);
    if (startingAfter != null) {
      spec = spec.bind("after", startingAfter);
    }
    return spec.map(SettlementController::view).all().collectList()
        .map(rows -> new Page("list", rows.size() > size ? rows.subList(0, size) : rows, rows.size() > size));
  }

  @GetMapping(path = "/v1/settlements/{id}/report.csv", produces = "text/csv")
  Mono<ResponseEntity<String>> report(@PathVariable("id") String id, ServerWebExchange exchange) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_READ);
    Mono<SettlementView> summary = db.sql(SUMMARY + " WHERE s.id = :id AND s.merchant_id = :merchant GROUP BY s.id")
        .bind("id", id).bind("merchant", principal.merchantId())
        .map(SettlementController::view).first()
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No settlement has this id.")));
    Mono<List<List<Object>>> lines = db.sql("""
            SELECT 'payment' AS type, p.id, p.id AS payment_id, p.updated_at AS at, p.amount_minor AS amount
            FROM payments p WHERE p.settlement_id = :id
            UNION ALL
            SELECT 'fee', p.id, p.id, p.updated_at, -p.fee_minor FROM payments p WHERE p.settlement_id = :id AND p.fee_minor > 0
            UNION ALL
            SELECT 'refund', r.id, r.payment_id, r.created_at, -r.amount_minor FROM refunds r JOIN payments p ON p.id = r.payment_id
            WHERE p.settlement_id = :id AND r.status <> 'failed' AND r.debited_account LIKE '%:pending:%'
            ORDER BY 3, 1 DESC""")
        .bind("id", id)
        .map(row -> List.<Object>of(row.get("type", String.class), row.get("id", String.class),
            row.get("payment_id", String.class), row.get("at", Instant.class).toString(), row.get("amount", Long.class)))
        .all().collectList();
    Mono<List<List<Object>>> payouts = db.sql("""
            SELECT 'payout' AS type, p.id, p.created_at AS at, -p.amount_minor AS amount, p.status
            FROM payouts p JOIN settlements s ON s.payout_id = p.id WHERE s.id = :id AND p.status <> 'failed'
            UNION ALL
            SELECT 'payout_fee', p.id, p.created_at, -p.fee_minor, p.status
            FROM payouts p JOIN settlements s ON s.payout_id = p.id WHERE s.id = :id AND p.status <> 'failed' AND p.fee_minor > 0
            ORDER BY 1 DESC""")
        .bind("id", id)
        .map(row -> List.<Object>of(row.get("type", String.class), row.get("id", String.class), "",
            row.get("at", Instant.class).toString(), row.get("amount", Long.class)))
        .all().collectList();
    return Mono.zip(summary, lines, payouts).map(both -> {
      SettlementView s = both.getT1();
      StringWriter out = new StringWriter();
      try (CSVPrinter printer = CSVFormat.RFC4180.builder()
          .setHeader("type", "id", "payment_id", "occurred_at", "amount", "currency").get().print(out)) {
        long total = 0;
        for (List<Object> line : both.getT2()) {
          total = Math.addExact(total, (Long) line.get(4));
          printer.printRecord(line.get(0), line.get(1), line.get(2), line.get(3), line.get(4), s.currency());
        }
        printer.printRecord("total", s.id(), "", "", total, s.currency());
        printer.printRecord("ledger_settled", s.id(), "", "", s.net(), s.currency());
        // The available balance paid out for this settlement (destination on file), if any.
        long paidOut = 0;
        for (List<Object> payout : both.getT3()) {
          paidOut = Math.addExact(paidOut, (Long) payout.get(4));
          printer.printRecord(payout.get(0), payout.get(1), "", payout.get(3), payout.get(4), s.currency());
        }
        if (!both.getT3().isEmpty()) {
          printer.printRecord("paid_out", s.id(), "", "", paidOut, s.currency());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return ResponseEntity.ok()
          .header("Content-Type", "text/csv; charset=utf-8")
          .header("Content-Disposition", "attachment; filename=\"" + s.id() + ".csv\"")
          .body(out.toString());
    });
  }

  @PutMapping(path = "/v1/merchants/{id}/settlement_schedule", consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Schedule> schedule(@PathVariable("id") String merchantId, @RequestBody(required = false) Mono<byte[]> body,
      ServerWebExchange exchange) {
    return Mono.fromCallable(() -> Principal.of(exchange).require(Principal.ADMIN))
        .then(body.defaultIfEmpty(EMPTY))
        .flatMap(bytes -> {
          Schedule request = json.read(bytes, Schedule.class);
          if (request.object() != null || request.merchantId() != null) {
            throw ApiProblem.param(ProblemCode.PARAMETER_UNKNOWN, request.object() != null ? "object" : "merchant_id",
                "Only frequency, delay_days and payout_destination can be set.");
          }
          if (!"daily".equals(request.frequency())) {
            throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "frequency", "'frequency' must be \"daily\".");
          }
          if (request.delayDays() == null || request.delayDays() < 0 || request.delayDays() > 30) {
            throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "delay_days", "'delay_days' must be 0-30 (T+N).");
          }
          Destination to = request.payoutDestination();
          if (to != null && (!"mobile_money".equals(to.type()) || !List.of("mpesa", "mtn_momo").contains(to.operator())
              || to.msisdn() == null || !to.msisdn().matches("\\+[1-9]\\d{8,14}")
              || (to.name() != null && to.name().length() > 100))) {
            throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "payout_destination", "'payout_destination' must be "
                + "{type: \"mobile_money\", operator: \"mpesa\" or \"mtn_momo\", msisdn (E.164), name? (<= 100)}.");
          }
          return db.sql("SELECT 1 FROM merchants WHERE id = :id").bind("id", merchantId).map(row -> 1).first()
              .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No merchant has this id.")))
              .then(db.sql("""
                      INSERT INTO merchant_settlement_schedules (merchant_id, frequency, delay_days, payout_operator,
                          payout_msisdn, payout_name)
                      VALUES (:id, 'daily', :days, :operator, :msisdn, :name)
                      ON CONFLICT (merchant_id) DO UPDATE SET delay_days = EXCLUDED.delay_days,
                          payout_operator = EXCLUDED.payout_operator, payout_msisdn = EXCLUDED.payout_msisdn,
                          payout_name = EXCLUDED.payout_name, updated_at = now()""")
                  .bind("id", merchantId).bind("days", request.delayDays())
                  .bind("operator", param(to == null ? null : to.operator()))
                  .bind("msisdn", param(to == null ? null : to.msisdn()))
                  .bind("name", param(to == null ? null : to.name())).then())
              .thenReturn(new Schedule("settlement_schedule", merchantId, "daily", request.delayDays(), to));
        });
  }

  private static SettlementView view(io.r2dbc.spi.Readable row) {
    return new SettlementView(row.get("id", String.class), "settlement", row.get("currency", String.class).strip(),
        row.get("settlement_date", LocalDate.class).toString(), row.get("payments", Long.class),
        ((Number) row.get("gross")).longValue(), ((Number) row.get("fees")).longValue(),
        ((Number) row.get("refunds")).longValue(), ((Number) row.get("net")).longValue(),
        row.get("created_at", Instant.class).toString());
  }

  private static io.r2dbc.spi.Parameter param(String value) {
    return value == null ? io.r2dbc.spi.Parameters.in(String.class) : io.r2dbc.spi.Parameters.in(value);
  }
}
