package org.malipo.gateway.api;

import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

/**
 * Turns every error that reaches the web layer into an RFC 9457 problem: {@link ApiProblem} as
 * it is, framework errors (no route, wrong method or media type, oversized body) to their codes,
 * and anything else to {@code 500 internal_error} without leaking its message.
 */
@Component
@Order(-2) // before Spring Boot's default error handler
final class ProblemExceptionHandler implements WebExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(ProblemExceptionHandler.class);

  private final ProblemWriter writer;

  ProblemExceptionHandler(ProblemWriter writer) {
    this.writer = writer;
  }

  @Override
  public Mono<Void> handle(ServerWebExchange exchange, Throwable error) {
    ApiProblem problem;
    // Runs outside the filters' Reactor context: the log lines get request and merchant from the exchange.
    try (LogContext.Scope scope = LogContext.fromExchange(exchange)) {
      problem = translate(exchange, error);
      logRefusedAccess(problem);
    }
    return writer.write(exchange, problem);
  }

  /**
   * Failed and refused access attempts are security events (PCI DSS v4 req. 10.2.1.4): one line
   * each, with the code only; never the credentials or the token.
   */
  private static void logRefusedAccess(ApiProblem problem) {
    switch (problem.code()) {
      case UNAUTHORIZED, INVALID_TOKEN, INVALID_CLIENT, INSUFFICIENT_SCOPE ->
          log.info("access refused: {} ({})", problem.code().wireName(), problem.getMessage());
      default -> { }
    }
  }

  private ApiProblem translate(ServerWebExchange exchange, Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof ApiProblem problem) {
        return problem; // also when a codec wrapped it (e.g. the body-size limit while decoding)
      }
    }
    if (hasCause(error, DataBufferLimitException.class)) {
      return ApiProblem.of(ProblemCode.PAYLOAD_TOO_LARGE, "The request body exceeds the limit.");
    }
    if (error instanceof ServerWebInputException) {
      return ApiProblem.of(ProblemCode.INVALID_REQUEST, "The request could not be read.");
    }
    if (error instanceof ResponseStatusException status) {
      return fromStatus(status.getStatusCode());
    }
    if (hasCause(error, CannotCreateTransactionException.class) || hasCause(error, DataAccessResourceFailureException.class)
        || hasCause(error, TransientDataAccessException.class) || hasCause(error, java.net.ConnectException.class)) {
      // The database (or another dependency) is unreachable: nothing was committed; retry later.
      log.warn("request {} failed on an unavailable dependency: {}", RequestIds.of(exchange), error.toString());
      return ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE, "A dependency is unavailable; nothing was recorded, retry shortly.")
          .withHeaders(Map.of("Retry-After", "1"));
    }
    if (hasCause(error, TimeoutException.class)) {
      log.warn("request {} timed out", RequestIds.of(exchange), error);
      return ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE, "A dependency did not answer in time.")
          .withHeaders(Map.of("Retry-After", "1"));
    }
    log.error("request {} failed", RequestIds.of(exchange), error);
    return ApiProblem.of(ProblemCode.INTERNAL_ERROR, "An internal error occurred.");
  }

  private static ApiProblem fromStatus(HttpStatusCode status) {
    return switch (status.value()) {
      case 404 -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such resource.");
      case 405 -> ApiProblem.of(ProblemCode.METHOD_NOT_ALLOWED, "The method is not allowed here.");
      case 406 -> ApiProblem.of(ProblemCode.NOT_ACCEPTABLE, "Only application/json is produced.");
      case 413 -> ApiProblem.of(ProblemCode.PAYLOAD_TOO_LARGE, "The request body exceeds the limit.");
      case 415 -> ApiProblem.of(ProblemCode.UNSUPPORTED_MEDIA_TYPE, "Send Content-Type: application/json.");
      case 503 -> ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE, "Service temporarily unavailable.");
      default -> status.is4xxClientError()
          ? ApiProblem.of(ProblemCode.INVALID_REQUEST, "The request is not valid.")
          : ApiProblem.of(ProblemCode.INTERNAL_ERROR, "An internal error occurred.");
    };
  }

  private static boolean hasCause(Throwable error, Class<? extends Throwable> type) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
