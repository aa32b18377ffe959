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

  private static final byte[] EMPTY = new byte[0];
  private static final int MAX_NOTE_LENGTH = 1_000;

  private final ExceptionCases cases;
  private final ExceptionResolutions resolutions;
  private final org.malipo.gateway.api.StrictJson strictJson;
  private final org.malipo.gateway.audit.AuditLog audit;
  private final tools.jackson.databind.json.JsonMapper json = tools.jackson.databind.json.JsonMapper.builder().build();

  ExceptionController(ExceptionCases cases, ExceptionResolutions resolutions, org.malipo.gateway.api.StrictJson strictJson,
      org.malipo.gateway.audit.AuditLog audit) {
    this.cases = cases;
    this.resolutions = resolutions;
    this.strictJson = strictJson;
    this.audit = audit;
  }

  /** The body of {@code POST /v1/exceptions/{id}/resolve}. */
  record ResolveRequest(String action, String note) {}

  /**
   * {@code POST /v1/exceptions/{id}/resolve} (scope {@code admin}) {@code {action: "accept_rail" |
   * "accept_gateway" | "refund_payer" | "write_off", note}} → {@code 200} the exception, resolved,
   * with its journal entry ({@link ExceptionResolutions}). Errors: {@code 400 parameter_missing} /
   * {@code parameter_invalid} / {@code parameter_unknown} / {@code invalid_json}, {@code 404},
   * {@code 409 exception_already_resolved}, {@code 422 resolution_not_allowed} /
   * {@code insufficient_balance}.
   */
  @org.springframework.web.bind.annotation.PostMapping(path = "/{id}/resolve", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<View> resolve(@org.springframework.web.bind.annotation.PathVariable("id") String id,
      @org.springframework.web.bind.annotation.RequestBody(required = false) Mono<byte[]> body, ServerWebExchange exchange) {
    return Mono.fromCallable(() -> Principal.of(exchange).require(Principal.ADMIN))
        .then(body.defaultIfEmpty(EMPTY))
        .flatMap(bytes -> {
          ResolveRequest request = strictJson.read(bytes, ResolveRequest.class);
          if (request.action() == null) {
            throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "action", "'action' is required.");
          }
          ExceptionResolutions.Action action = ExceptionResolutions.Action.fromWire(request.action());
          if (action == null) {
            throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "action",
                "'action' must be accept_rail, accept_gateway, refund_payer or write_off.");
          }
          if (request.note() == null || request.note().isBlank()) {
            throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "note", "'note' is required: say why.");
          }
          if (request.note().length() > MAX_NOTE_LENGTH) {
            throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "note", "'note' is at most " + MAX_NOTE_LENGTH + " characters.");
          }
          return resolutions.resolve(id, action, request.note().strip(), audit.context(exchange));
        })
        .map(c -> View.of(c, json));
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
        .map(c -> View.of(c, json))
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
      long amount, String currency, String detail, String suspenseEntry, String openedAt, String resolvedAt,
      long suspenseAmount, long clearingAmount, String reconciliationRun, Object evidence, String resolution,
      String resolutionNote, String resolutionEntry, String resolvedBy) {

    static View of(ExceptionCases.Case c, tools.jackson.databind.json.JsonMapper json) {
      ExceptionCases.Resolution r = c.resolution();
      return new View(c.id(), "exception", c.kind(), c.resolvedAt() == null ? "open" : "resolved", c.paymentId(),
          c.refundId(), c.merchantId(), c.rail(), c.amount(), c.currency(), c.detail(), c.suspenseEntry(), c.openedAt().toString(),
          c.resolvedAt() == null ? null : c.resolvedAt().toString(), r.suspenseMinor(), r.clearingMinor(), r.runId(),
          r.evidence() == null ? null : json.readTree(r.evidence()), r.action(), r.note(), r.entry(), r.resolvedBy());
    }
  }
}
