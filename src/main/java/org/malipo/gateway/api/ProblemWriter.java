package org.malipo.gateway.api;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes RFC 9457 problem documents: {@code type}, {@code title}, {@code status}, {@code detail},
 * {@code code}, {@code param} (when one field is at fault), {@code request_id} and, when the request
 * is traced, {@code trace_id} (W3C trace id, 32 hex digits).
 *
 * <p>Usable from web filters, which run outside the controllers' error handling.
 */
@Component
public final class ProblemWriter {

  /** RFC 9457 §3 media type. */
  public static final MediaType PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON;

  private static final String TYPE_BASE = "https://docs.malipo.dev/problems/";

  private final JsonMapper jsonMapper;

  ProblemWriter(JsonMapper jsonMapper) {
    this.jsonMapper = jsonMapper;
  }

  /**
   * Renders {@code problem} as the answer of {@code exchange}.
   *
   * @return completes when the body is written; fails only if the connection does
   */
  public Mono<Void> write(ServerWebExchange exchange, ApiProblem problem) {
    ServerHttpResponse response = exchange.getResponse();
    if (response.isCommitted()) {
      return Mono.error(problem);
    }
    ProblemCode code = problem.code();
    response.setStatusCode(code.status());
    HttpHeaders headers = response.getHeaders();
    headers.setContentType(PROBLEM_JSON);
    problem.headers().forEach(headers::set);
    byte[] body = jsonMapper.writeValueAsBytes(body(exchange, problem));
    headers.setContentLength(body.length);
    return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
  }

  private Map<String, Object> body(ServerWebExchange exchange, ApiProblem problem) {
    ProblemCode code = problem.code();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", TYPE_BASE + code.wireName());
    body.put("title", code.title());
    body.put("status", code.status().value());
    body.put("detail", problem.getMessage() == null ? code.title() : problem.getMessage());
    body.put("code", code.wireName());
    problem.extensions().forEach(body::putIfAbsent);
    if (problem.param() != null) {
      body.put("param", problem.param());
    }
    body.put("request_id", RequestIds.of(exchange));
    String traceId = TraceIds.of(exchange);
    if (traceId != null) {
      body.put("trace_id", traceId);
    }
    return body;
  }
}
