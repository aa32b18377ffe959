package org.malipo.gateway.sandbox;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailRegistry;
import org.malipo.gateway.reconciliation.StatementFormat;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/sandbox/rails/{rail}/statement?date=YYYY-MM-DD} (scope {@code admin}): what the
 * sandbox rail collected on that UTC day, as the rail would report it ({@link StatementFormat#of}):
 * {@code 200 text/csv}. Exists only while the in-process sandbox runs (local, test, sandbox
 * profiles); 404 elsewhere.
 *
 * <p>Errors: {@code 401}, {@code 403 insufficient_scope}, {@code 404 not_found} for a rail the
 * gateway does not have, {@code 400 parameter_missing} / {@code parameter_invalid} ({@code date}).
 */
@RestController
@ConditionalOnProperty(prefix = "malipo.sandbox", name = "enabled", havingValue = "true")
final class SandboxStatementController {

  private final SandboxServer sandbox;
  private final RailRegistry rails;

  SandboxStatementController(SandboxServer sandbox, RailRegistry rails) {
    this.sandbox = sandbox;
    this.rails = rails;
  }

  @GetMapping(path = "/v1/sandbox/rails/{rail}/statement", produces = "text/csv")
  Mono<ResponseEntity<String>> statement(@PathVariable("rail") String rail,
      @RequestParam(name = "date", required = false) String date, ServerWebExchange exchange) {
    return Mono.fromCallable(() -> {
      Principal.of(exchange).require(Principal.ADMIN);
      RailAdapter adapter = rails.byName(rail)
          .orElseThrow(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No rail has this name."));
      LocalDate day = day(date);
      String csv = RailStatements.render(StatementFormat.of(adapter), sandbox.journal().between(rail,
          day.atStartOfDay().toInstant(ZoneOffset.UTC), day.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC)));
      return ResponseEntity.ok()
          .header("Content-Type", "text/csv; charset=utf-8")
          .header("Content-Disposition", "attachment; filename=\"" + rail + "-" + day + ".csv\"")
          .body(csv);
    });
  }

  private static LocalDate day(String date) {
    if (date == null || date.isBlank()) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "date", "'date' (YYYY-MM-DD) is required.");
    }
    try {
      return LocalDate.parse(date);
    } catch (DateTimeParseException e) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "date", "'date' must be YYYY-MM-DD.");
    }
  }
}
