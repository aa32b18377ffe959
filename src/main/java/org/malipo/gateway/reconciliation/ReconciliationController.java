package org.malipo.gateway.reconciliation;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.PageSizes;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailRegistry;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Reconciliation runs (scope {@code admin}, issue 23, docs/reconciliation.md):
 * <ul>
 *   <li>{@code POST /v1/reconciliation/runs?rail={rail}}, body the rail's statement
 *       ({@code text/csv}, {@link StatementFormat#of}) → {@code 201} run; the same file again →
 *       {@code 200} the same run; {@code 400 statement_invalid} naming the line (nothing recorded);
 *       {@code 400 parameter_missing}/{@code parameter_invalid} ({@code rail}).</li>
 *   <li>{@code GET /v1/reconciliation/runs/{id}} → the run, or {@code 404 not_found}.</li>
 *   <li>{@code GET /v1/reconciliation/runs/{id}/items?result&limit&starting_after} → {@code {object:
 *       "list", data, has_more}} in line order.</li>
 * </ul>
 */
@RestController
@RequestMapping(path = "/v1/reconciliation/runs", produces = MediaType.APPLICATION_JSON_VALUE)
final class ReconciliationController {

  private static final byte[] EMPTY = new byte[0];
  private static final List<String> RESULTS = List.of("matched", "amount_mismatch", "fee_mismatch", "missing_in_rail",
      "missing_in_gateway");

  private final ReconciliationRuns runs;
  private final RailRegistry rails;
  private final AuditLog audit;

  ReconciliationController(ReconciliationRuns runs, RailRegistry rails, AuditLog audit) {
    this.runs = runs;
    this.rails = rails;
    this.audit = audit;
  }

  @PostMapping(consumes = "text/csv")
  Mono<ResponseEntity<RunView>> create(@RequestParam(name = "rail", required = false) String rail,
      @RequestBody(required = false) Mono<byte[]> body, ServerWebExchange exchange) {
    return Mono.fromCallable(() -> {
          Principal.of(exchange).require(Principal.ADMIN);
          if (rail == null || rail.isBlank()) {
            throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "rail", "'rail' is required.");
          }
          return rails.byName(rail).orElseThrow(() ->
              ApiProblem.param(ProblemCode.PARAMETER_INVALID, "rail", "No rail is named '" + rail + "'."));
        })
        .flatMap(adapter -> body.defaultIfEmpty(EMPTY).flatMap(bytes -> upload(adapter, bytes, exchange)));
  }

  private Mono<ResponseEntity<RunView>> upload(RailAdapter rail, byte[] bytes, ServerWebExchange exchange) {
    return runs.upload(rail.name(), StatementFormat.of(rail), bytes, audit.context(exchange))
        .onErrorMap(StatementInvalidException.class, e -> ApiProblem.of(ProblemCode.STATEMENT_INVALID,
            "The statement is not a valid " + StatementFormat.of(rail).name().toLowerCase(java.util.Locale.ROOT)
                + " file: " + e.getMessage() + ".").withExtensions(Map.of("line", Integer.toString(e.line()))))
        .map(upload -> ResponseEntity.status(upload.created() ? HttpStatus.CREATED : HttpStatus.OK)
            .body(RunView.of(upload.run())));
  }

  @GetMapping("/{id}")
  Mono<RunView> get(@PathVariable("id") String id, ServerWebExchange exchange) {
    Principal.of(exchange).require(Principal.ADMIN);
    return runs.find(id).map(RunView::of)
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No reconciliation run has this id.")));
  }

  @GetMapping("/{id}/items")
  Mono<ItemPage> items(@PathVariable("id") String id, ServerWebExchange exchange,
      @RequestParam(name = "result", required = false) String result,
      @RequestParam(name = "limit", required = false) String limit,
      @RequestParam(name = "starting_after", required = false) String startingAfter) {
    Principal.of(exchange).require(Principal.ADMIN);
    if (result != null && !RESULTS.contains(result)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "result", "result must be one of " + String.join(", ", RESULTS) + ".");
    }
    int size = PageSizes.parse(limit);
    return runs.find(id)
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No reconciliation run has this id.")))
        .flatMap(run -> runs.items(id, result, size + 1, startingAfter).map(ItemView::of).collectList())
        .map(rows -> new ItemPage("list", rows.size() > size ? rows.subList(0, size) : rows, rows.size() > size));
  }

  /** The run on the wire; amounts in minor units of {@code totals.currency}. */
  record RunView(String id, String object, String rail, String periodStart, String periodEnd, String status,
      Counts counts, Totals totals, String journalEntry, String createdAt) {

    static RunView of(ReconciliationRun run) {
      ReconciliationRun.Counts c = run.counts();
      return new RunView(run.id(), "reconciliation_run", run.rail(), run.periodStart().toString(),
          run.periodEnd().toString(), run.status(),
          new Counts(c.matched(), c.amountMismatch(), c.feeMismatch(), c.missingInRail(), c.missingInGateway()),
          new Totals(run.railAmountMinor(), run.gatewayAmountMinor(), run.currency()), run.journalEntry(),
          run.createdAt().toString());
    }
  }

  /** Items by result. */
  record Counts(int matched, int amountMismatch, int feeMismatch, int missingInRail, int missingInGateway) {}

  /** Σ of the statement's amounts and of the gateway's, minor units, net (money out negative). */
  record Totals(long railAmount, long gatewayAmount, String currency) {}

  /** {@code {object: "list", data, has_more}}. */
  record ItemPage(String object, List<ItemView> data, boolean hasMore) {}

  /**
   * One item on the wire; absent members are omitted; amounts in minor units, signed (negative =
   * money out); {@code payment_id}, {@code payout_id} or {@code refund_id} names the gateway record.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ItemView(String id, String object, String runId, Integer line, String result, String railReference,
      String receipt, String paymentId, String payoutId, String refundId, Long railAmount, Long gatewayAmount,
      Long railFee, Long expectedFee, String currency, boolean settledPayment, String exceptionId, String detail) {

    static ItemView of(ReconciliationRuns.ItemRow r) {
      return new ItemView(r.id(), "reconciliation_item", r.runId(), r.line(), r.result(), r.railReference(),
          r.receipt(), r.paymentId(), r.payoutId(), r.refundId(), r.railAmount(), r.gatewayAmount(), r.railFee(), r.expectedFee(),
          r.currency().strip(), r.settledPayment(), r.exceptionId(), r.detail());
    }
  }
}
