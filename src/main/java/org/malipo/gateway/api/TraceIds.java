package org.malipo.gateway.api;

import io.micrometer.tracing.handler.TracingObservationHandler;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.web.server.ServerWebExchange;

/**
 * The trace of an exchange (issue 24): the span of the HTTP server observation that Spring WebFlux
 * starts for every request and Micrometer Tracing turns into an OpenTelemetry span. Without
 * tracing (the bench and test profiles: no OpenTelemetry tracer) there is no span and
 * every method returns empty or {@code null}.
 */
public final class TraceIds {

  private TraceIds() {}

  /** The W3C trace id (32 lowercase hex digits) of the exchange's span, or {@code null}. */
  public static String of(ServerWebExchange exchange) {
    return ServerRequestObservationContext.findCurrent(exchange.getAttributes())
        .map(context -> (TracingObservationHandler.TracingContext) context.get(TracingObservationHandler.TracingContext.class))
        .map(tracing -> tracing.getSpan())
        .map(span -> span.context().traceId())
        .filter(id -> !id.isEmpty())
        .orElse(null);
  }
}
