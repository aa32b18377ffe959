package org.malipo.gateway.payout;

import java.util.List;
import java.util.Set;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.PageSizes;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.idempotency.IdempotencyKeys;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code /v1/payouts}: create (scope {@code payouts:write}, {@code Idempotency-Key} required), read
 * and list (scope {@code payouts:read}). Another merchant's payout is {@code 404 not_found}.
 */
@RestController
@RequestMapping(path = "/v1/payouts", produces = MediaType.APPLICATION_JSON_VALUE)
final class PayoutController {

  private static final Set<String> STATUSES = Set.of(Payout.PENDING, Payout.SUCCEEDED, Payout.FAILED);

  private final PayoutService service;
  private final PayoutRepository payouts;
  private final AuditLog audit;

  PayoutController(PayoutService service, PayoutRepository payouts, AuditLog audit) {
    this.service = service;
    this.payouts = payouts;
    this.audit = audit;
  }

  @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<String>> create(ServerWebExchange exchange,
      @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal principal = Principal.of(exchange).require(Principal.PAYOUTS_WRITE);
    String key = IdempotencyKeys.require(idempotencyKey);
    return body.defaultIfEmpty(new byte[0])
        .flatMap(bytes -> service.create(principal, audit.context(exchange), key, bytes))
        .map(answer -> {
          ResponseEntity.BodyBuilder response = ResponseEntity.status(answer.status()).contentType(MediaType.APPLICATION_JSON);
          if (answer.replayed()) {
            response.header(IdempotencyKeys.REPLAYED_HEADER, "true");
          }
          return response.body(answer.body());
        });
  }

  @GetMapping("/{id}")
  Mono<Payout.View> get(ServerWebExchange exchange, @PathVariable String id) {
    Principal principal = Principal.of(exchange).require(Principal.PAYOUTS_READ);
    return payouts.find(principal.merchantId(), principal.livemode(), id)
        .map(Payout.View::of)
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such payout: " + id)));
  }

  /**
   * A page of payouts, newest first.
   *
   * @param limit 1-100, default 10
   * @param startingAfter the last id of the previous page
   * @param status {@code pending}, {@code succeeded} or {@code failed}
   */
  @GetMapping
  Mono<PageView> list(ServerWebExchange exchange,
      @RequestParam(name = "limit", required = false) String limit,
      @RequestParam(name = "starting_after", required = false) String startingAfter,
      @RequestParam(name = "status", required = false) String status) {
    Principal principal = Principal.of(exchange).require(Principal.PAYOUTS_READ);
    int size = PageSizes.parse(limit);
    if (status != null && !STATUSES.contains(status)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "status", "Unknown status '" + status + "'.");
    }
    Mono<Boolean> cursorOk = startingAfter == null ? Mono.just(true) : payouts.exists(principal.merchantId(), principal.livemode(), startingAfter);
    return cursorOk.flatMap(ok -> {
      if (!ok) {
        return Mono.error(ApiProblem.param(ProblemCode.PARAMETER_INVALID, "starting_after",
            "starting_after must be the id of one of your payouts."));
      }
      return payouts.page(principal.merchantId(), principal.livemode(), size + 1, startingAfter, status)
          .map(Payout.View::of)
          .collectList()
          .map(rows -> new PageView("list", rows.size() > size ? rows.subList(0, size) : rows, rows.size() > size));
    });
  }

  /** {@code {object: "list", data: [...], has_more}}. */
  record PageView(String object, List<Payout.View> data, boolean hasMore) {}
}
