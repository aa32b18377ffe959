package org.malipo.gateway.callback;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.PageSizes;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/exceptions?limit&starting_after&status} (scope {@code admin}): the cases the
 * reconciler handed to operators, newest first, as {@code {object: "list", data, has_more}}.
 * {@code status} is {@code open} or {@code resolved}; all when absent.
 */
@RestController
@RequestMapping(path = "/v1/exceptions", produces = MediaType.APPLICATION_JSON_VALUE)
final class ExceptionController {

  private final ExceptionCases cases;

  ExceptionController(ExceptionCases cases) {
    this.cases = cases;
  }

  @GetMapping
  Mono<Page> list(ServerWebExchange exchange,
      @RequestParam(name = "limit", required = false) String limit,
      @RequestParam(name = "starting_after", required = false) String startingAfter,
      @RequestParam(name = "status", required = false) String status) {
    Principal.of(exchange).require(Principal.ADMIN);
    int size = PageSizes.parse(limit);
    Boolean open = status == null ? null : switch (status) {
      case "open" -> true;
      case "resolved" -> false;
      default -> throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "status", "status must be open or resolved.");
    };
    return cases.page(size + 1, startingAfter, open)
        .map(View::of)
        .collectList()
        .map(rows -> new Page("list", rows.size() > size ? rows.subList(0, size) : rows, rows.size() > size));
  }

  /** {@code {object: "list", data: [...], has_more}}. */
  record Page(String object, List<View> data, boolean hasMore) {}

  /**
   * One exception case on the wire (snake_case): amount in minor units; {@code status} {@code open}
   * or {@code resolved}; absent members are omitted.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record View(String id, String object, String kind, String status, String paymentId, String refundId,
      String merchantId, String rail,
      long amount, String currency, String detail, String suspenseEntry, String openedAt, String resolvedAt) {

    static View of(ExceptionCases.Case c) {
      return new View(c.id(), "exception", c.kind(), c.resolvedAt() == null ? "open" : "resolved", c.paymentId(),
          c.refundId(), c.merchantId(), c.rail(), c.amount(), c.currency(), c.detail(), c.suspenseEntry(), c.openedAt().toString(),
          c.resolvedAt() == null ? null : c.resolvedAt().toString());
    }
  }
}
