package org.malipo.gateway.console;

import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.auth.Principal;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Operator lists behind the console's "callbacks and webhooks" screen (scope {@code admin}, every
 * merchant), newest first, at most 100:
 *
 * <ul>
 *   <li>{@code GET /v1/admin/callbacks}: the rails' callbacks kept but not applied (quarantined):
 *       verdict {@code mismatch}, {@code orphan}, {@code rejected} or {@code late}, or one of them
 *       with {@code verdict=…}, not dismissed; the raw body is never shown;
 *   <li>{@code GET /v1/admin/webhook_deliveries}: deliveries with {@code status} (default
 *       {@code dead}: every retry failed), without those an operator has redelivered.
 * </ul>
 * An unknown verdict or status is {@code 400 parameter_invalid}.
 */
@RestController
final class AdminQueuesController {

  private static final List<String> QUARANTINED = List.of("mismatch", "orphan", "rejected", "late");
  private static final Set<String> DELIVERY_STATUSES = Set.of("pending", "delivered", "dead", "cancelled");

  private final DatabaseClient db;

  AdminQueuesController(DatabaseClient db) {
    this.db = db;
  }

  @GetMapping("/v1/admin/callbacks")
  Mono<Map<String, Object>> callbacks(ServerWebExchange exchange, @RequestParam(required = false) String verdict) {
    Principal.of(exchange).require(Principal.ADMIN);
    if (verdict != null && !QUARANTINED.contains(verdict)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "verdict", "verdict is one of " + QUARANTINED + ".");
    }
    String filter = verdict == null ? "verdict IN ('mismatch', 'orphan', 'rejected', 'late')" : "verdict = :verdict";
    DatabaseClient.GenericExecuteSpec spec = db.sql("SELECT id, rail, payment_id, verdict, verdict_detail, received_at "
        + "FROM inbox WHERE " + filter + " AND dismissed_at IS NULL ORDER BY received_at DESC, id DESC LIMIT 100");
    if (verdict != null) {
      spec = spec.bind("verdict", verdict);
    }
    return spec.map((row, meta) -> {
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("id", row.get("id", Long.class));
      item.put("rail", row.get("rail", String.class));
      item.put("payment_id", row.get("payment_id", String.class));
      item.put("verdict", row.get("verdict", String.class));
      item.put("verdict_detail", row.get("verdict_detail", String.class));
      item.put("received_at", epoch(row.get("received_at", OffsetDateTime.class)));
      return item;
    }).all().collectList().map(list -> Map.of("object", "list", "data", list));
  }

  @GetMapping("/v1/admin/webhook_deliveries")
  Mono<Map<String, Object>> deliveries(ServerWebExchange exchange, @RequestParam(required = false) String status) {
    Principal.of(exchange).require(Principal.ADMIN);
    String wanted = status == null ? "dead" : status;
    if (!DELIVERY_STATUSES.contains(wanted)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "status", "status is one of " + DELIVERY_STATUSES + ".");
    }
    return db.sql("SELECT id, merchant_id, endpoint_id, event_id, event_type, status, attempts, last_status_code, "
            + "last_error, updated_at FROM webhook_deliveries d WHERE status = :status"
            // A dead delivery an operator redelivered is history: its redelivery is listed instead.
            + " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries r WHERE r.redelivery_of = d.id)"
            + " ORDER BY updated_at DESC, id DESC LIMIT 100")
        .bind("status", wanted)
        .map((row, meta) -> {
          Map<String, Object> item = new LinkedHashMap<>();
          item.put("id", row.get("id", String.class));
          item.put("merchant_id", row.get("merchant_id", String.class));
          item.put("endpoint_id", row.get("endpoint_id", String.class));
          item.put("event_id", row.get("event_id", String.class));
          item.put("event_type", row.get("event_type", String.class));
          item.put("status", row.get("status", String.class));
          item.put("attempts", row.get("attempts", Integer.class));
          item.put("last_status_code", row.get("last_status_code", Integer.class));
          item.put("last_error", row.get("last_error", String.class));
          item.put("updated_at", epoch(row.get("updated_at", OffsetDateTime.class)));
          return item;
        }).all().collectList().map(list -> Map.of("object", "list", "data", list));
  }

  private static Long epoch(OffsetDateTime at) {
    return at == null ? null : at.toEpochSecond();
  }
}
