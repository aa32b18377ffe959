package org.malipo.gateway.events;

import java.util.List;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.PageSizes;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /v1/events?type&limit&starting_after} (scope {@code payments:read}): the merchant's
 * own events from the outbox, newest first, exactly as published and delivered.
 */
@RestController
@RequestMapping(path = "/v1/events", produces = MediaType.APPLICATION_JSON_VALUE)
final class EventController {


  private final DatabaseClient db;
  private final JsonMapper json;

  EventController(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /**
   * A page of events.
   *
   * @param type only events of this type, e.g. {@code payment.succeeded}
   * @param limit 1-100, default 10
   * @param startingAfter the last event id of the previous page
   */
  @GetMapping
  Mono<PageView> list(ServerWebExchange exchange,
      @RequestParam(name = "type", required = false) String type,
      @RequestParam(name = "limit", required = false) String limit,
      @RequestParam(name = "starting_after", required = false) String startingAfter) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_READ);
    int size = PageSizes.parse(limit);
    if (type != null && !EventTypes.ALL.contains(type)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "type", "Unknown event type '" + type + "'.");
    }
    Mono<Boolean> cursorOk = startingAfter == null ? Mono.just(true)
        : db.sql("SELECT count(*) FROM outbox WHERE merchant_id = :merchant AND event_id = :id AND livemode = :livemode")
            .bind("merchant", principal.merchantId()).bind("id", startingAfter).bind("livemode", principal.livemode())
            .map(row -> row.get(0, Long.class) > 0).one();
    return cursorOk.flatMap(ok -> {
      if (!ok) {
        return Mono.error(ApiProblem.param(ProblemCode.PARAMETER_INVALID, "starting_after",
            "starting_after must be the id of one of your events."));
      }
      StringBuilder sql = new StringBuilder("SELECT payload FROM outbox WHERE merchant_id = :merchant"
          + " AND livemode = :livemode");
      if (type != null) {
        sql.append(" AND type = :type");
      }
      if (startingAfter != null) {
        sql.append(" AND event_id < :after");
      }
      sql.append(" ORDER BY event_id DESC LIMIT :limit");
      DatabaseClient.GenericExecuteSpec spec = db.sql(sql.toString())
          .bind("merchant", principal.merchantId()).bind("limit", size + 1).bind("livemode", principal.livemode());
      if (type != null) {
        spec = spec.bind("type", type);
      }
      if (startingAfter != null) {
        spec = spec.bind("after", startingAfter);
      }
      return spec.map(row -> json.readTree(row.get("payload", String.class)))
          .all()
          .collectList()
          .map(rows -> new PageView("list", rows.size() > size ? rows.subList(0, size) : rows, rows.size() > size));
    });
  }

  /** {@code {object: "list", data: [event...], has_more}}. */
  record PageView(String object, List<JsonNode> data, boolean hasMore) {}

}
