package org.malipo.gateway.sandbox;

import java.time.Duration;
import java.util.regex.Pattern;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.auth.Principal;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code PUT /v1/sandbox/rails/{rail}/faults} (scope {@code admin}): slows a sandbox acquirer or
 * makes it fail outright, at runtime (docs/adr/0041-sandbox-fault-control.md). Exists only when
 * the in-process sandbox runs ({@code malipo.sandbox.enabled=true}: local, test, bench profiles);
 * a production gateway has no such route (404).
 *
 * <p>Body {@code {"latency_ms": 0..60000, "fail": true|false}}, both required, read strictly.
 * Answers {@code 200 {object: "sandbox_rail_faults", rail, latency_ms, fail}}. Errors:
 * {@code 401}, {@code 403 insufficient_scope}, {@code 404 not_found} for a rail name that is not
 * {@code [a-z0-9_]{1,40}}, {@code 400 invalid_json}, {@code parameter_unknown},
 * {@code parameter_missing}, {@code parameter_invalid} (with {@code param}), {@code 415}.
 */
@RestController
@ConditionalOnProperty(prefix = "malipo.sandbox", name = "enabled", havingValue = "true")
final class SandboxFaultController {

  private static final Pattern RAIL = Pattern.compile("[a-z0-9_]{1,40}");
  private static final byte[] EMPTY = new byte[0];

  private final StrictJson json;
  private final SandboxServer sandbox;

  SandboxFaultController(StrictJson json, SandboxServer sandbox) {
    this.json = json;
    this.sandbox = sandbox;
  }

  /** The request body. */
  record FaultRequest(Integer latencyMs, Boolean fail) {}

  /** The answer: the faults now in force for the rail. */
  record FaultView(String object, String rail, long latencyMs, boolean fail) {}

  @PutMapping(path = "/v1/sandbox/rails/{rail}/faults", consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<FaultView> put(@PathVariable("rail") String rail, @RequestBody(required = false) Mono<byte[]> body,
      ServerWebExchange exchange) {
    return Mono.fromCallable(() -> Principal.of(exchange).require(Principal.ADMIN))
        .then(body.defaultIfEmpty(EMPTY))
        .map(bytes -> {
          if (!RAIL.matcher(rail).matches()) {
            throw ApiProblem.of(ProblemCode.NOT_FOUND, "No sandbox rail has this name.");
          }
          SandboxFaults.Fault fault = validated(json.read(bytes, FaultRequest.class));
          if (!sandbox.faults().set(rail, fault)) {
            throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "rail", "At most "
                + SandboxFaults.MAX_FAULTY_RAILS + " sandbox rails can have faults at once; clear one first.");
          }
          return new FaultView("sandbox_rail_faults", rail, fault.extraLatency().toMillis(), fault.fail());
        });
  }

  private static SandboxFaults.Fault validated(FaultRequest request) {
    if (request.latencyMs() == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "latency_ms", "'latency_ms' is required (0 for none).");
    }
    if (request.fail() == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "fail", "'fail' is required.");
    }
    long maxMs = SandboxFaults.MAX_LATENCY.toMillis();
    if (request.latencyMs() < 0 || request.latencyMs() > maxMs) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "latency_ms", "'latency_ms' must be 0-" + maxMs + ".");
    }
    return new SandboxFaults.Fault(Duration.ofMillis(request.latencyMs()), request.fail());
  }
}
