package org.malipo.gateway.api;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Gives every exchange a request id and echoes it in the {@code X-Request-Id} response header;
 * puts it, and the trace id when the request is traced, in the log context.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
final class RequestIdFilter implements WebFilter {

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String requestId = RequestIds.of(exchange);
    exchange.getResponse().getHeaders().set(RequestIds.HEADER, requestId);
    String traceId = TraceIds.of(exchange);
    return chain.filter(exchange).contextWrite(ctx -> traceId == null
        ? ctx.put(LogContext.REQUEST_ID, requestId)
        : ctx.put(LogContext.REQUEST_ID, requestId).put(LogContext.TRACE_ID, traceId));
  }
}
