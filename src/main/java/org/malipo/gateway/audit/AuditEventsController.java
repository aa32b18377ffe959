package org.malipo.gateway.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.PageSizes;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.common.Ids;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /v1/audit_events?action&actor&limit&starting_after} (scope {@code admin}): the audit
 * log, newest first, cursor-paginated like every list. {@code action} is a wire name such as
 * {@code client.revoked}; {@code actor} a client id. Reading the log is itself audited.
 */
@RestController
final class AuditEventsController {

  private static final int ACTOR_MAX = 128;

  private final DatabaseClient db;
  private final AuditLog audit;
  private final JsonMapper json;

  AuditEventsController(DatabaseClient db, AuditLog audit, JsonMapper json) {
    this.db = db;
    this.audit = audit;
    this.json = json;
  }

  /** One audit event as the API shows it. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  record EventView(String id, String object, String action, String occurredAt, Actor actor, Target target,
      String requestId, String sourceAddress, JsonNode details) {}

  /** {@code client_id} and {@code merchant_id} of the actor; both null for the gateway itself. */
  record Actor(String clientId, String merchantId) {}

  /** {@code type} and {@code id} of the object acted on. */
  record Target(String type, String id) {}

  /** {@code {object: "list", data, has_more}}. */
  record PageView(String object, List<EventView> data, boolean hasMore) {}

  @GetMapping(path = "/v1/audit_events", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<PageView> list(ServerWebExchange exchange,
      @RequestParam(name = "action", required = false) String action,
      @RequestParam(name = "actor", required = false) String actor,
      @RequestParam(name = "limit", required = false) String limit,
      @RequestParam(name = "starting_after", required = false) String startingAfter) {
    Principal.of(exchange).require(Principal.ADMIN);
    int size = PageSizes.parse(limit);
    if (action != null && AuditAction.fromWireName(action) == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "action", "Unknown audit action '"
          + (action.length() <= 60 ? action : action.substring(0, 60) + "…") + "'.");
    }
    if (actor != null && (actor.isBlank() || actor.length() > ACTOR_MAX)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "actor", "actor must be a client id.");
    }
    if (startingAfter != null && !Ids.looksLike("aud", startingAfter)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "starting_after", "starting_after must be an audit event id.");
    }
    StringBuilder sql = new StringBuilder("SELECT id, action, occurred_at, actor_client_id, actor_merchant_id, target_type, target_id, "
        + "request_id, source_address, details::text AS details FROM audit_events WHERE TRUE");
    if (action != null) {
      sql.append(" AND action = :action");
    }
    if (actor != null) {
      sql.append(" AND actor_client_id = :actor");
    }
    if (startingAfter != null) {
      sql.append(" AND id < :after");
    }
    sql.append(" ORDER BY id DESC LIMIT :limit");
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql.toString()).bind("limit", size + 1);
    if (action != null) {
      spec = spec.bind("action", action);
    }
    if (actor != null) {
      spec = spec.bind("actor", actor);
    }
    if (startingAfter != null) {
      spec = spec.bind("after", startingAfter);
    }
    Mono<PageView> page = spec.map(row -> new EventView(
            row.get("id", String.class), "audit_event", row.get("action", String.class),
            row.get("occurred_at", OffsetDateTime.class).toInstant().toString(),
            new Actor(row.get("actor_client_id", String.class), row.get("actor_merchant_id", String.class)),
            new Target(row.get("target_type", String.class), row.get("target_id", String.class)),
            row.get("request_id", String.class), row.get("source_address", String.class),
            json.readTree(row.get("details", String.class))))
        .all()
        .collectList()
        .map(rows -> new PageView("list", rows.size() > size ? rows.subList(0, size) : rows, rows.size() > size));
    return audit.record(audit.context(exchange), AuditAction.AUDIT_EVENTS_READ, "audit_events",
            filters(action, actor))
        .then(page);
  }

  private static Map<String, String> filters(String action, String actor) {
    if (action != null && actor != null) {
      return Map.of("action", action, "actor", actor);
    }
    return action != null ? Map.of("action", action) : actor != null ? Map.of("actor", actor) : Map.of();
  }
}
