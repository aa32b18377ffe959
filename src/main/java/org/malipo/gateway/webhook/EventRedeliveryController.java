package org.malipo.gateway.webhook;

import java.util.List;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/events/{id}/redeliver} (scope {@code payments:write}): queues the merchant's
 * event again to each of its live, enabled endpoints subscribed to the type. {@code 202} with the
 * new delivery ids; another merchant's event is {@code 404}.
 */
@RestController
final class EventRedeliveryController {

  private final DatabaseClient db;
  private final DeliveryRecorder recorder;
  private final StrictJson strictJson;

  EventRedeliveryController(DatabaseClient db, DeliveryRecorder recorder, StrictJson strictJson) {
    this.db = db;
    this.recorder = recorder;
    this.strictJson = strictJson;
  }

  /** {@code {object: "list", data: ["whd_…", …]}}: the deliveries queued. */
  record QueuedView(String object, String eventId, List<String> data) {}

  @PostMapping(path = "/v1/events/{id}/redeliver", produces = MediaType.APPLICATION_JSON_VALUE)
  @ResponseStatus(HttpStatus.ACCEPTED)
  Mono<QueuedView> redeliver(ServerWebExchange exchange, @PathVariable String id,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_WRITE);
    return body.defaultIfEmpty(new byte[0])
        .doOnNext(strictJson::requireNoFields)
        .then(Mono.defer(() -> queue(principal, id)));
  }

  private Mono<QueuedView> queue(Principal principal, String id) {
    return db.sql("SELECT type, payload FROM outbox WHERE event_id = :id AND merchant_id = :merchant"
            + " AND livemode = :livemode")
        .bind("id", id).bind("merchant", principal.merchantId()).bind("livemode", principal.livemode())
        .map(row -> new String[] {row.get("type", String.class), row.get("payload", String.class)})
        .one()
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such event: " + id)))
        .flatMap(event -> recorder.redeliver(principal.merchantId(), id, event[0], event[1]).collectList())
        .map(ids -> new QueuedView("list", id, ids));
  }
}
