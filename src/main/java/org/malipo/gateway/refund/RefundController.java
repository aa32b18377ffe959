package org.malipo.gateway.refund;

import java.util.List;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.idempotency.IdempotencyKeys;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/payments/{id}/refunds} (scope {@code refunds:write}, {@code Idempotency-Key}
 * required) and {@code GET /v1/payments/{id}/refunds} (scope {@code payments:read}).
 */
@RestController
final class RefundController {

  private final RefundService service;
  private final RefundRepository refunds;
  private final DatabaseClient db;

  private final AuditLog audit;

  RefundController(RefundService service, RefundRepository refunds, DatabaseClient db, AuditLog audit) {
    this.audit = audit;
    this.service = service;
    this.refunds = refunds;
    this.db = db;
  }

  @PostMapping(path = "/v1/payments/{id}/refunds", consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<String>> create(ServerWebExchange exchange, @PathVariable String id,
      @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal principal = Principal.of(exchange).require(Principal.REFUNDS_WRITE);
    String key = IdempotencyKeys.require(idempotencyKey);
    return body.defaultIfEmpty(new byte[0])
        .flatMap(bytes -> service.create(principal, audit.context(exchange), id, key, bytes))
        .map(answer -> {
          ResponseEntity.BodyBuilder response = ResponseEntity.status(answer.status()).contentType(MediaType.APPLICATION_JSON);
          if (answer.replayed()) {
            response.header(IdempotencyKeys.REPLAYED_HEADER, "true");
          }
          return response.body(answer.body());
        });
  }

  @GetMapping(path = "/v1/payments/{id}/refunds", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<RefundList> list(ServerWebExchange exchange, @PathVariable String id) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_READ);
    return db.sql("SELECT 1 FROM payments WHERE merchant_id = :merchant AND id = :id AND livemode = :livemode")
        .bind("merchant", principal.merchantId()).bind("id", id).bind("livemode", principal.livemode())
        .map(row -> 1).first()
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such payment: " + id)))
        .thenMany(refunds.forPayment(principal.merchantId(), principal.livemode(), id))
        .map(Refund.View::of)
        .collectList()
        .map(rows -> new RefundList("list", rows, false));
  }

  /** {@code {object: "list", data, has_more}}. */
  record RefundList(String object, List<Refund.View> data, boolean hasMore) {}
}
