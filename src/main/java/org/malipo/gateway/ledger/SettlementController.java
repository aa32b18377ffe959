package org.malipo.gateway.ledger;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
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
import org.malipo.gateway.common.CurrencyUnit;
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
 *       settlement_date, payments, gross, fees, refunds, net, settlement_currency, converted?, fx?,
 *       created_at}} (minor units; {@code net} is what the settlement entries took from
 *       {@code pending}; a converting settlement adds {@code converted}, minor units of
 *       {@code settlement_currency} credited to {@code available}, and {@code fx: {base, quote,
 *       rate, rate_as_of, source, rounding}}).</li>
 *   <li>{@code GET /v1/settlements/{id}/report.csv} (scope {@code payments:read}): one row per
 *       payment ({@code +amount}), fee ({@code -fee}) and refund taken from {@code pending}
 *       ({@code -amount}), then {@code total} (their sum) and {@code ledger_settled} (the sum of the
 *       settlement journal entries), which agree; columns {@code fx_rate, fx_rate_as_of,
 *       fx_rate_source} filled on a converting settlement's {@code conversion} rows (one per
 *       payment, from its entry) and {@code converted_total}, with {@code fx_rounding} rows and
 *       {@code fx_rounding_total}.</li>
 *   <li>{@code PUT /v1/merchants/{id}/settlement_schedule} (scope {@code admin}) {@code {frequency:
 *       "daily", delay_days: 0..30, payout_destination?, settlement_currency?}}: the merchant's
 *       payments settle T+N UTC days after capture instead of after {@code malipo.settlement.delay},
 *       converted into {@code settlement_currency} (ISO 4217, else {@code 400 parameter_invalid})
 *       when it is not the charge currency (docs/adr/0084-settlement-currency-fx.md).</li>
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

  /**
   * A settlement on the wire; {@code settlementCurrency} is {@code currency} unless it converts, then
   * {@code converted} (minor units of {@code settlementCurrency}) and {@code fx} say into what and at
   * which rate.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record SettlementView(String id, String object, String currency, String settlementDate, long payments, long gross,
      long fees, long refunds, long net, String settlementCurrency, Long converted, Fx fx, String createdAt) {}

  /**
   * The rate a converting settlement used (1 {@code base} = {@code rate} {@code quote}, a decimal
   * string) and {@code rounding}: the remainders of its conversions, signed minor units of the
   * charge currency (what the gateway kept when positive).
   */
  record Fx(String base, String quote, String rate, String rateAsOf, String source, long rounding) {}

  /** {@code {object: "list", data, has_more}}. */
  record Page(String object, List<SettlementView> data, boolean hasMore) {}

  /** The schedule request and answer. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Schedule(String object, String merchantId, String frequency, Integer delayDays, Destination payoutDestination,
      String settlementCurrency) {}

  /** A payout destination on file: {@code {type: "mobile_money", operator: "mpesa" | "mtn_momo", msisdn, name?}}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Destination(String type, String operator, String msisdn, String name) {}

  private static final String SUMMARY = """
      SELECT s.id, s.currency, s.settlement_date, s.created_at, s.settlement_currency, s.fx_base, s.fx_quote,
             s.fx_rate, s.fx_rate_as_of, s.fx_rate_source,
             count(p.id) AS payments, coalesce(sum(p.amount_minor), 0) AS gross, coalesce(sum(p.fee_minor), 0) AS fees,
             coalesce((SELECT sum(r.amount_minor) FROM refunds r JOIN payments q ON q.id = r.payment_id
                       WHERE q.settlement_id = s.id AND r.status <> 'failed' AND r.debited_account LIKE '%:pending:%'), 0) AS refunds,
             -- What the settlement entries took from pending (with or without conversion).
             coalesce((SELECT sum(po.amount_minor) FROM postings po JOIN journal_entries e ON e.id = po.entry_id
                       JOIN payments q ON q.id = e.payment_id
                       WHERE q.settlement_id = s.id AND e.kind = 'settlement' AND po.direction = 'D'
                         AND po.account_id = 'merchant:' || s.merchant_id || ':pending:' || s.currency), 0) AS net,
             coalesce((SELECT sum(po.amount_minor) FROM postings po JOIN journal_entries e ON e.id = po.entry_id
                       JOIN payments q ON q.id = e.payment_id
                       WHERE q.settlement_id = s.id AND e.kind = 'settlement' AND po.direction = 'C'
                         AND po.account_id = 'merchant:' || s.merchant_id || ':available:' || s.settlement_currency), 0)
                 AS converted,
             coalesce((SELECT sum(CASE WHEN po.direction = 'C' THEN po.amount_minor ELSE -po.amount_minor END)
                       FROM postings po JOIN journal_entries e ON e.id = po.entry_id JOIN payments q ON q.id = e.payment_id
                       WHERE q.settlement_id = s.id AND e.kind = 'settlement'
                         AND po.account_id = 'fx:rounding:' || s.currency), 0) AS rounding
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
    Mono<List<List<Object>>> conversions = db.sql("""
            SELECT e.id, e.payment_id, e.created_at AS at, e.fx_rate, e.fx_rate_as_of, e.fx_rate_source,
                   coalesce(sum(po.amount_minor) FILTER (WHERE po.direction = 'C' AND po.account_id LIKE 'merchant:%:available:%'), 0)
                       AS converted,
                   coalesce(sum(CASE WHEN po.direction = 'C' THEN po.amount_minor ELSE -po.amount_minor END)
                       FILTER (WHERE po.account_id LIKE 'fx:rounding:%'), 0) AS rounding
            FROM journal_entries e JOIN payments q ON q.id = e.payment_id JOIN postings po ON po.entry_id = e.id
            WHERE q.settlement_id = :id AND e.kind = 'settlement' AND e.fx_rate IS NOT NULL
            GROUP BY e.id ORDER BY e.payment_id""")
        .bind("id", id)
        .map(row -> List.<Object>of(row.get("id", String.class), row.get("payment_id", String.class),
            row.get("at", Instant.class).toString(), ((Number) row.get("converted")).longValue(),
            ((Number) row.get("rounding")).longValue(),
            row.get("fx_rate", BigDecimal.class).stripTrailingZeros().toPlainString(),
            row.get("fx_rate_as_of", Instant.class).toString(), row.get("fx_rate_source", String.class)))
        .all().collectList();
    return Mono.zip(summary, lines, payouts, conversions).map(both -> {
      SettlementView s = both.getT1();
      StringWriter out = new StringWriter();
      try (CSVPrinter printer = CSVFormat.RFC4180.builder().setHeader("type", "id", "payment_id", "occurred_at", "amount",
          "currency", "fx_rate", "fx_rate_as_of", "fx_rate_source").get().print(out)) {
        long total = 0;
        for (List<Object> line : both.getT2()) {
          total = Math.addExact(total, (Long) line.get(4));
          printer.printRecord(line.get(0), line.get(1), line.get(2), line.get(3), line.get(4), s.currency(), "", "", "");
        }
        printer.printRecord("total", s.id(), "", "", total, s.currency(), "", "", "");
        printer.printRecord("ledger_settled", s.id(), "", "", s.net(), s.currency(), "", "", "");
        // A converting settlement: each payment's conversion as its settlement entry posted it.
        if (s.fx() != null) {
          long converted = 0;
          long rounding = 0;
          for (List<Object> c : both.getT4()) {
            converted = Math.addExact(converted, (Long) c.get(3));
            rounding = Math.addExact(rounding, (Long) c.get(4));
            printer.printRecord("conversion", c.get(0), c.get(1), c.get(2), c.get(3), s.settlementCurrency(), c.get(5),
                c.get(6), c.get(7));
            if ((Long) c.get(4) != 0) {
              printer.printRecord("fx_rounding", c.get(0), c.get(1), c.get(2), c.get(4), s.currency(), "", "", "");
            }
          }
          printer.printRecord("converted_total", s.id(), "", "", converted, s.settlementCurrency(), s.fx().rate(),
              s.fx().rateAsOf(), s.fx().source());
          printer.printRecord("fx_rounding_total", s.id(), "", "", rounding, s.currency(), "", "", "");
        }
        // The available balance paid out for this settlement (destination on file), if any.
        long paidOut = 0;
        for (List<Object> payout : both.getT3()) {
          paidOut = Math.addExact(paidOut, (Long) payout.get(4));
          printer.printRecord(payout.get(0), payout.get(1), "", payout.get(3), payout.get(4), s.settlementCurrency(),
              "", "", "");
        }
        if (!both.getT3().isEmpty()) {
          printer.printRecord("paid_out", s.id(), "", "", paidOut, s.settlementCurrency(), "", "", "");
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
                "Only frequency, delay_days, payout_destination and settlement_currency can be set.");
          }
          if (!"daily".equals(request.frequency())) {
            throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "frequency", "'frequency' must be \"daily\".");
          }
          if (request.delayDays() == null || request.delayDays() < 0 || request.delayDays() > 30) {
            throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "delay_days", "'delay_days' must be 0-30 (T+N).");
          }
          String settlementCurrency = request.settlementCurrency();
          if (settlementCurrency != null && CurrencyUnit.fromCode(settlementCurrency).isEmpty()) {
            throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "settlement_currency",
                "'settlement_currency' must be an ISO 4217 code Malipo supports, upper case (e.g. \"EUR\").");
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
                          payout_msisdn, payout_name, settlement_currency)
                      VALUES (:id, 'daily', :days, :operator, :msisdn, :name, :settlement_currency)
                      ON CONFLICT (merchant_id) DO UPDATE SET delay_days = EXCLUDED.delay_days,
                          payout_operator = EXCLUDED.payout_operator, payout_msisdn = EXCLUDED.payout_msisdn,
                          payout_name = EXCLUDED.payout_name, settlement_currency = EXCLUDED.settlement_currency,
                          updated_at = now()""")
                  .bind("id", merchantId).bind("days", request.delayDays())
                  .bind("operator", param(to == null ? null : to.operator()))
                  .bind("msisdn", param(to == null ? null : to.msisdn()))
                  .bind("name", param(to == null ? null : to.name()))
                  .bind("settlement_currency", param(settlementCurrency)).then())
              .thenReturn(new Schedule("settlement_schedule", merchantId, "daily", request.delayDays(), to,
                  settlementCurrency));
        });
  }

  private static SettlementView view(io.r2dbc.spi.Readable row) {
    String currency = row.get("currency", String.class).strip();
    boolean converts = row.get("fx_rate") != null;
    Fx fx = converts ? new Fx(row.get("fx_base", String.class).strip(), row.get("fx_quote", String.class).strip(),
        row.get("fx_rate", BigDecimal.class).stripTrailingZeros().toPlainString(),
        row.get("fx_rate_as_of", Instant.class).toString(), row.get("fx_rate_source", String.class),
        ((Number) row.get("rounding")).longValue()) : null;
    return new SettlementView(row.get("id", String.class), "settlement", currency,
        row.get("settlement_date", LocalDate.class).toString(), row.get("payments", Long.class),
        ((Number) row.get("gross")).longValue(), ((Number) row.get("fees")).longValue(),
        ((Number) row.get("refunds")).longValue(), ((Number) row.get("net")).longValue(),
        converts ? row.get("settlement_currency", String.class).strip() : currency,
        converts ? ((Number) row.get("converted")).longValue() : null, fx,
        row.get("created_at", Instant.class).toString());
  }

  private static io.r2dbc.spi.Parameter param(String value) {
    return value == null ? io.r2dbc.spi.Parameters.in(String.class) : io.r2dbc.spi.Parameters.in(value);
  }
}
