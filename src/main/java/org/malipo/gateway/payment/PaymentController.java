package org.malipo.gateway.payment;

import java.util.List;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.PageSizes;
import org.malipo.gateway.api.ProblemCode;
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
 * {@code /v1/payments}: create (scope {@code payments:write}, {@code Idempotency-Key} required),
 * read and list (scope {@code payments:read}). Another merchant's payment is {@code 404}.
 */
@RestController
@RequestMapping(path = "/v1/payments", produces = MediaType.APPLICATION_JSON_VALUE)
final class PaymentController {


  private final PaymentPipeline pipeline;
  private final PaymentRepository payments;
  private final PaymentCaptures captures;

  PaymentController(PaymentPipeline pipeline, PaymentRepository payments, PaymentCaptures captures) {
    this.pipeline = pipeline;
    this.payments = payments;
    this.captures = captures;
  }

  /**
   * Captures a {@code requires_capture} payment ({@code payments:write}, {@code Idempotency-Key}
   * required): {@code {amount?}} in minor units, at most the authorized amount (default all).
   */
  @PostMapping("/{id}/capture")
  Mono<ResponseEntity<String>> capture(ServerWebExchange exchange, @PathVariable String id,
      @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_WRITE);
    String key = IdempotencyKeys.require(idempotencyKey);
    return body.defaultIfEmpty(new byte[0])
        .flatMap(bytes -> captures.capture(principal, id, key, bytes))
        .map(PaymentController::toResponse);
  }

  /**
   * Cancels a {@code requires_capture} or {@code requires_action} payment ({@code payments:write},
   * {@code Idempotency-Key} required): {@code {cancellation_reason?}}.
   */
  @PostMapping("/{id}/cancel")
  Mono<ResponseEntity<String>> cancel(ServerWebExchange exchange, @PathVariable String id,
      @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_WRITE);
    String key = IdempotencyKeys.require(idempotencyKey);
    return body.defaultIfEmpty(new byte[0])
        .flatMap(bytes -> captures.cancel(principal, id, key, bytes))
        .map(PaymentController::toResponse);
  }

  private static ResponseEntity<String> toResponse(PaymentCaptures.Answer answer) {
    ResponseEntity.BodyBuilder response = ResponseEntity.status(answer.status())
        // A stored problem (the acquirer refused) replays as the problem it was.
        .contentType(answer.status() >= 400 ? MediaType.APPLICATION_PROBLEM_JSON : MediaType.APPLICATION_JSON);
    if (answer.replayed()) {
      response.header(IdempotencyKeys.REPLAYED_HEADER, "true");
    }
    return response.body(answer.body());
  }

  @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<String>> create(ServerWebExchange exchange,
      @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_WRITE);
    String key = IdempotencyKeys.require(idempotencyKey);
    return body.defaultIfEmpty(new byte[0])
        .flatMap(bytes -> pipeline.create(principal, key, bytes))
        .map(answer -> {
          ResponseEntity.BodyBuilder response = ResponseEntity.status(answer.status())
              .contentType(MediaType.APPLICATION_JSON);
          if (answer.replayed()) {
            response.header(IdempotencyKeys.REPLAYED_HEADER, "true");
          }
          return response.body(answer.body());
        });
  }

  @GetMapping("/{id}")
  Mono<PaymentView> get(ServerWebExchange exchange, @PathVariable String id) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_READ);
    return payments.find(principal.merchantId(), principal.livemode(), id)
        .map(PaymentView::of)
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such payment: " + id)));
  }

  /**
   * A page of payments, newest first.
   *
   * @param limit 1-100, default 10
   * @param startingAfter the last id of the previous page
   */
  @GetMapping
  Mono<PageView> list(ServerWebExchange exchange,
      @RequestParam(name = "limit", required = false) String limit,
      @RequestParam(name = "starting_after", required = false) String startingAfter,
      @RequestParam(name = "status", required = false) String status,
      @RequestParam(name = "idempotency_key", required = false) String idempotencyKey) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_READ);
    int size = PageSizes.parse(limit);
    PaymentStatus statusFilter = status(status);
    Mono<Boolean> cursorOk = startingAfter == null ? Mono.just(true) : payments.exists(principal.merchantId(), principal.livemode(), startingAfter);
    return cursorOk.flatMap(ok -> {
      if (!ok) {
        return Mono.error(ApiProblem.param(ProblemCode.PARAMETER_INVALID, "starting_after",
            "starting_after must be the id of one of your payments."));
      }
      return payments.page(principal.merchantId(), principal.livemode(), size + 1, startingAfter, statusFilter, idempotencyKey)
          .map(PaymentView::of)
          .collectList()
          .map(rows -> new PageView("list", rows.size() > size ? rows.subList(0, size) : rows, rows.size() > size));
    });
  }

  /** {@code {object: "list", data: [...], has_more}}. */
  record PageView(String object, List<PaymentView> data, boolean hasMore) {}


  private static PaymentStatus status(String status) {
    if (status == null) {
      return null;
    }
    for (PaymentStatus candidate : PaymentStatus.values()) {
      if (candidate.wireName().equals(status)) {
        return candidate;
      }
    }
    throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "status", "Unknown status '" + status + "'.");
  }
}
