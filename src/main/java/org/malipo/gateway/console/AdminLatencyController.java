package org.malipo.gateway.console;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.api.DateParams;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/admin/reports/latency?from=YYYY-MM-DD&to=YYYY-MM-DD} (scope {@code admin}; a
 * regulator's console session may read it: aggregates only): per UTC day and rail, the median and
 * 95th percentile (PostgreSQL {@code percentile_cont}, milliseconds) of
 * <ul>
 *   <li>a payment's <b>time to final</b>: from its creation to its {@code payment.succeeded} or
 *       {@code payment.failed} event (day and rail of the payment; a mobile-money payment includes
 *       the payer's PIN entry and the callback), and
 *   <li>the <b>rail call</b>: each attempt's measured call duration (day of the call).
 * </ul>
 * {@code from} to {@code to} inclusive, at most 31 days; a day and rail without any is absent.
 * Days whose outbox rows the retention job removed have no time-to-final figures. Audited as
 * {@code report.read} before it is read. Errors: {@code 400 parameter_missing} / {@code
 * parameter_invalid} ({@code from}, {@code to}).
 */
@RestController
final class AdminLatencyController {

  /** Longest window, in days: the aggregate reads every payment of it. */
  static final int MAX_DAYS = 31;

  private final DatabaseClient db;
  private final AuditLog audit;

  AdminLatencyController(DatabaseClient db, AuditLog audit) {
    this.db = db;
    this.audit = audit;
  }

  /**
   * One day and rail; absent figures are null (no final payment, or no rail call, that day).
   *
   * @param date UTC day, YYYY-MM-DD
   */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  record Latency(String date, String rail, long paymentsFinal, Long timeToFinalP50Ms, Long timeToFinalP95Ms,
      long railCalls, Long railCallP50Ms, Long railCallP95Ms) {}

  /** {@code {object: "list", from, to, data: [...]}}, by date then rail. */
  record Report(String object, String from, String to, List<Latency> data) {}

  @GetMapping(path = "/v1/admin/reports/latency", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Report> latency(ServerWebExchange exchange, @RequestParam(required = false) String from,
      @RequestParam(required = false) String to) {
    Principal.of(exchange).require(Principal.ADMIN);
    DateParams.DayRange days = DateParams.range(from, to, MAX_DAYS);
    LocalDate first = days.first();
    LocalDate last = days.last();
    Instant start = days.start();
    Instant end = days.end();
    Mono<List<Latency>> rows = db.sql("""
            WITH final AS (
                SELECT (p.created_at AT TIME ZONE 'UTC')::date AS day, coalesce(p.provider, '') AS rail, count(*) AS n,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.created_at - p.created_at)) AS p50,
                       percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM o.created_at - p.created_at)) AS p95
                FROM payments p
                JOIN outbox o ON o.aggregate_id = p.id AND o.type IN ('payment.succeeded', 'payment.failed')
                WHERE p.created_at >= :start AND p.created_at < :end
                GROUP BY 1, 2),
            calls AS (
                SELECT (started_at AT TIME ZONE 'UTC')::date AS day, rail, count(*) AS n,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
                       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
                FROM payment_attempts
                WHERE started_at >= :start AND started_at < :end
                GROUP BY 1, 2)
            SELECT coalesce(f.day, c.day) AS day, coalesce(f.rail, c.rail) AS rail,
                   coalesce(f.n, 0) AS final_n, round(f.p50 * 1000) AS final_p50, round(f.p95 * 1000) AS final_p95,
                   coalesce(c.n, 0) AS calls_n, round(c.p50) AS calls_p50, round(c.p95) AS calls_p95
            FROM final f FULL OUTER JOIN calls c ON c.day = f.day AND c.rail = f.rail
            ORDER BY 1, 2""")
        .bind("start", start).bind("end", end)
        .map((row, meta) -> new Latency(row.get("day", LocalDate.class).toString(), row.get("rail", String.class),
            row.get("final_n", Long.class), whole(row.get("final_p50")), whole(row.get("final_p95")),
            row.get("calls_n", Long.class), whole(row.get("calls_p50")), whole(row.get("calls_p95"))))
        .all()
        .collectList();
    // Audited before it is read, as the finance reports (ADR 0055).
    return audit.record(audit.context(exchange), AuditAction.REPORT_READ, "latency",
            Map.of("from", first.toString(), "to", last.toString()))
        .then(rows)
        .map(data -> new Report("list", first.toString(), last.toString(), data));
  }

  private static Long whole(Object value) {
    return value == null ? null : ((Number) value).longValue();
  }
}
