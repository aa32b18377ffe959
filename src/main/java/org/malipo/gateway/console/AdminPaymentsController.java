package org.malipo.gateway.console;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.auth.Principal;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Operator routes behind the console's payment screens (scope {@code admin}, every merchant):
 *
 * <ul>
 *   <li>{@code GET /v1/admin/payments}: search by {@code id}, {@code reference}, {@code merchant_id},
 *       {@code status}, {@code rail}, {@code created_from}/{@code created_to} (UTC dates, inclusive),
 *       {@code msisdn_last} (the last 2 to 6 digits of the payer's MSISDN) or {@code card_last4};
 *       newest first, at most {@code limit} (1..100, default 25). Payer data only masked.
 *   <li>{@code GET /v1/admin/payments/{id}/timeline}: the payment (masked) with its rail attempts,
 *       rail callbacks and their verdicts, events (its status changes), webhook deliveries and
 *       ledger entries with their postings; {@code 404} for an unknown id.
 * </ul>
 * Bad parameters are {@code 400 parameter_invalid}.
 */
@RestController
final class AdminPaymentsController {

  private static final int MAX_ROWS = 100;

  private final DatabaseClient db;

  AdminPaymentsController(DatabaseClient db) {
    this.db = db;
  }

  @GetMapping("/v1/admin/payments")
  Mono<Map<String, Object>> search(ServerWebExchange exchange,
      @RequestParam(required = false) String id,
      @RequestParam(required = false) String reference,
      @RequestParam(name = "merchant_id", required = false) String merchantId,
      @RequestParam(required = false) String status,
      @RequestParam(required = false) String rail,
      @RequestParam(name = "created_from", required = false) String createdFrom,
      @RequestParam(name = "created_to", required = false) String createdTo,
      @RequestParam(name = "msisdn_last", required = false) String msisdnLast,
      @RequestParam(name = "card_last4", required = false) String cardLast4,
      @RequestParam(required = false) String limit) {
    Principal.of(exchange).require(Principal.ADMIN);
    int rows = parseLimit(limit);
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM payments WHERE true");
    Map<String, Object> binds = new LinkedHashMap<>();
    eq(sql, binds, "id", "id", id);
    eq(sql, binds, "reference", "reference", reference);
    eq(sql, binds, "merchant_id", "merchant", merchantId);
    eq(sql, binds, "status", "status", status);
    eq(sql, binds, "provider", "rail", rail);
    if (createdFrom != null && !createdFrom.isBlank()) {
      sql.append(" AND created_at >= CAST(:from AS date)");
      binds.put("from", date("created_from", createdFrom).toString());
    }
    if (createdTo != null && !createdTo.isBlank()) {
      sql.append(" AND created_at < CAST(:to AS date) + 1");
      binds.put("to", date("created_to", createdTo).toString());
    }
    if (msisdnLast != null && !msisdnLast.isBlank()) {
      if (!msisdnLast.matches("\\d{2,6}")) {
        throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "msisdn_last", "msisdn_last is 2 to 6 digits.");
      }
      sql.append(" AND right(msisdn, :msisdnLen) = :msisdnLast");
      binds.put("msisdnLen", msisdnLast.length());
      binds.put("msisdnLast", msisdnLast);
    }
    if (cardLast4 != null && !cardLast4.isBlank()) {
      if (!cardLast4.matches("\\d{4}")) {
        throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "card_last4", "card_last4 is 4 digits.");
      }
      sql.append(" AND card_last4 = :last4");
      binds.put("last4", cardLast4);
    }
    sql.append(" ORDER BY created_at DESC, id DESC LIMIT ").append(rows);
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql.toString());
    for (Map.Entry<String, Object> bind : binds.entrySet()) {
      spec = spec.bind(bind.getKey(), bind.getValue());
    }
    return spec.map((row, meta) -> payment(row)).all().collectList()
        .map(list -> Map.of("object", "list", "data", list));
  }

  @GetMapping("/v1/admin/payments/{id}/timeline")
  Mono<Map<String, Object>> timeline(ServerWebExchange exchange, @PathVariable String id) {
    Principal.of(exchange).require(Principal.ADMIN);
    Mono<Map<String, Object>> payment = db.sql("SELECT " + COLUMNS + " FROM payments WHERE id = :id").bind("id", id)
        .map((row, meta) -> payment(row)).one()
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No payment " + id + ".")));
    Mono<List<Map<String, Object>>> attempts = list(db.sql("""
            SELECT id, rail, outcome, response_code, failure_code, started_at, latency_ms
            FROM payment_attempts WHERE payment_id = :id ORDER BY started_at, id LIMIT 100""").bind("id", id)
        .map((row, meta) -> map("id", row.get("id", String.class), "rail", row.get("rail", String.class),
            "outcome", row.get("outcome", String.class), "response_code", row.get("response_code", String.class),
            "failure_code", row.get("failure_code", String.class),
            "started_at", time(row.get("started_at", OffsetDateTime.class)),
            "latency_ms", row.get("latency_ms", Long.class))).all());
    Mono<List<Map<String, Object>>> callbacks = list(db.sql("""
            SELECT id, rail, verdict, verdict_detail, received_at, processed_at
            FROM inbox WHERE payment_id = :id ORDER BY received_at, id LIMIT 100""").bind("id", id)
        .map((row, meta) -> map("id", row.get("id", Long.class), "rail", row.get("rail", String.class),
            "verdict", row.get("verdict", String.class), "verdict_detail", row.get("verdict_detail", String.class),
            "received_at", time(row.get("received_at", OffsetDateTime.class)),
            "processed_at", time(row.get("processed_at", OffsetDateTime.class)))).all());
    Mono<List<Map<String, Object>>> events = list(db.sql("""
            SELECT event_id, type, created_at, published_at
            FROM outbox WHERE aggregate_id = :id ORDER BY sequence NULLS LAST, id LIMIT 100""").bind("id", id)
        .map((row, meta) -> map("id", row.get("event_id", String.class), "type", row.get("type", String.class),
            "created_at", time(row.get("created_at", OffsetDateTime.class)),
            "published_at", time(row.get("published_at", OffsetDateTime.class)))).all());
    Mono<List<Map<String, Object>>> deliveries = list(db.sql("""
            SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.status, d.attempts, d.last_status_code,
                   d.created_at, d.delivered_at
            FROM webhook_deliveries d JOIN outbox o ON o.event_id = d.event_id
            WHERE o.aggregate_id = :id ORDER BY d.created_at, d.id LIMIT 100""").bind("id", id)
        .map((row, meta) -> map("id", row.get("id", String.class), "endpoint_id", row.get("endpoint_id", String.class),
            "event_id", row.get("event_id", String.class), "event_type", row.get("event_type", String.class),
            "status", row.get("status", String.class), "attempts", row.get("attempts", Integer.class),
            "last_status_code", row.get("last_status_code", Integer.class),
            "created_at", time(row.get("created_at", OffsetDateTime.class)),
            "delivered_at", time(row.get("delivered_at", OffsetDateTime.class)))).all());
    Mono<List<Map<String, Object>>> ledger = list(db.sql("""
            SELECT e.id AS entry_id, e.kind, e.created_at, p.account_id, p.direction, p.amount_minor, p.currency
            FROM journal_entries e JOIN postings p ON p.entry_id = e.id
            WHERE e.payment_id = :id ORDER BY e.created_at, e.id, p.id LIMIT 200""").bind("id", id)
        .map((row, meta) -> map("entry_id", row.get("entry_id", String.class), "kind", row.get("kind", String.class),
            "created_at", time(row.get("created_at", OffsetDateTime.class)),
            "account_id", row.get("account_id", String.class), "direction", row.get("direction", String.class),
            "amount", row.get("amount_minor", Long.class), "currency", row.get("currency", String.class))).all());
    return payment.flatMap(found -> Mono.zip(attempts, callbacks, events, deliveries, ledger)
        .map(t -> {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("object", "payment_timeline");
          body.put("payment", found);
          body.put("attempts", t.getT1());
          body.put("callbacks", t.getT2());
          body.put("events", t.getT3());
          body.put("webhook_deliveries", t.getT4());
          body.put("ledger_entries", t.getT5());
          return body;
        }));
  }

  private static final String COLUMNS = "id, merchant_id, status, amount_minor, currency, fee_minor, reference, "
      + "method_type, provider, mobile_operator, msisdn, card_brand, card_last4, failure_code, created_at, updated_at";

  private static Map<String, Object> payment(io.r2dbc.spi.Row row) {
    return map("id", row.get("id", String.class), "merchant_id", row.get("merchant_id", String.class),
        "status", row.get("status", String.class), "amount", row.get("amount_minor", Long.class),
        "currency", trim(row.get("currency", String.class)), "fee", row.get("fee_minor", Long.class),
        "reference", row.get("reference", String.class), "method_type", row.get("method_type", String.class),
        "rail", row.get("provider", String.class), "mobile_operator", row.get("mobile_operator", String.class),
        "msisdn_masked", maskMsisdn(row.get("msisdn", String.class)),
        "card_brand", row.get("card_brand", String.class), "card_last4", trim(row.get("card_last4", String.class)),
        "failure_code", row.get("failure_code", String.class),
        "created_at", time(row.get("created_at", OffsetDateTime.class)),
        "updated_at", time(row.get("updated_at", OffsetDateTime.class)));
  }

  /** {@code 254712345678} becomes {@code 2547******78}: the country and operator prefix and the last two digits. */
  static String maskMsisdn(String msisdn) {
    if (msisdn == null) {
      return null;
    }
    if (msisdn.length() <= 6) {
      return "*".repeat(msisdn.length());
    }
    return msisdn.substring(0, 4) + "*".repeat(msisdn.length() - 6) + msisdn.substring(msisdn.length() - 2);
  }

  private static String trim(String value) {
    return value == null ? null : value.strip();
  }

  private static Long time(OffsetDateTime at) {
    return at == null ? null : at.toEpochSecond();
  }

  private static Mono<List<Map<String, Object>>> list(Flux<Map<String, Object>> rows) {
    return rows.collectList();
  }

  /** A map that keeps order and allows null values (absent facts are {@code null} in the answer). */
  private static Map<String, Object> map(Object... pairs) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put((String) pairs[i], pairs[i + 1]);
    }
    return map;
  }

  private static void eq(StringBuilder sql, Map<String, Object> binds, String column, String name, String value) {
    if (value != null && !value.isBlank()) {
      if (value.length() > 200) {
        throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, column, column + " is too long.");
      }
      sql.append(" AND ").append(column).append(" = :").append(name);
      binds.put(name, value.strip());
    }
  }

  private static LocalDate date(String param, String value) {
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, param, param + " is a date YYYY-MM-DD.");
    }
  }

  private static int parseLimit(String limit) {
    if (limit == null || limit.isBlank()) {
      return 25;
    }
    try {
      int value = Integer.parseInt(limit);
      if (value >= 1 && value <= MAX_ROWS) {
        return value;
      }
    } catch (NumberFormatException e) {
      // falls through to the problem
    }
    throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "limit", "limit is 1 to 100.");
  }

}
