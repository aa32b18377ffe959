package org.malipo.gateway.api;

import io.micrometer.context.ContextRegistry;
import org.slf4j.MDC;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

/**
 * The request context of log lines: {@code request_id}, {@code merchant_id} and {@code trace_id}, as SLF4J MDC
 * entries that the structured (ECS JSON) console log writes as fields.
 *
 * <p>A Reactor request hops threads, so the values travel in the Reactor {@code Context}
 * ({@link RequestIdFilter} and the Bearer filter write them), and Micrometer context propagation
 * copies them into the MDC where a line is logged; the accessors registered here say how.
 * Propagation is {@code limited} ({@code spring.reactor.context-propagation}): Reactor restores
 * the MDC in {@code handle} and {@code tap} only, so a log call on the request path sits in one
 * of those. {@code auto} would restore it around every operator, at 13–16 % more CPU per
 * payment (docs/performance.md). Code outside the filter chain (the error handler) sets the MDC
 * from the exchange with {@link #fromExchange}.
 */
@Component
public final class LogContext {

  /** MDC and Reactor context key of the request id. */
  public static final String REQUEST_ID = "request_id";
  /** MDC and Reactor context key of the authenticated merchant. */
  public static final String MERCHANT_ID = "merchant_id";
  /** MDC and Reactor context key of the request's trace id (when traced; docs/observability.md). */
  public static final String TRACE_ID = "trace_id";

  private static final String MERCHANT_ATTRIBUTE = LogContext.class.getName() + ".merchant";

  LogContext() {
    register(REQUEST_ID);
    register(MERCHANT_ID);
    register(TRACE_ID);
  }

  private static void register(String key) {
    ContextRegistry.getInstance().registerThreadLocalAccessor(key,
        () -> MDC.get(key), value -> MDC.put(key, value.toString()), () -> MDC.remove(key));
  }

  /** Records the authenticated merchant of the exchange for {@link #fromExchange}. */
  public static void bindMerchant(ServerWebExchange exchange, String merchantId) {
    exchange.getAttributes().put(MERCHANT_ATTRIBUTE, merchantId);
  }

  /**
   * Puts the exchange's request id and merchant (if authenticated) into the MDC of this thread.
   *
   * @return removes both entries when closed; use in try-with-resources around synchronous logging
   */
  static Scope fromExchange(ServerWebExchange exchange) {
    String merchantId = exchange.getAttribute(MERCHANT_ATTRIBUTE);
    if (merchantId != null) {
      MDC.put(MERCHANT_ID, merchantId);
    }
    MDC.put(REQUEST_ID, RequestIds.of(exchange));
    String traceId = TraceIds.of(exchange);
    if (traceId != null) {
      MDC.put(TRACE_ID, traceId);
    }
    return () -> {
      MDC.remove(REQUEST_ID);
      MDC.remove(TRACE_ID);
      MDC.remove(MERCHANT_ID);
    };
  }

  /** MDC entries to remove again. */
  interface Scope extends AutoCloseable {
    @Override
    void close();
  }
}
