package org.malipo.gateway.common;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.r2dbc.proxy.ProxyConnectionFactory;
import io.r2dbc.proxy.core.QueryExecutionInfo;
import io.r2dbc.proxy.core.QueryInfo;
import io.r2dbc.proxy.listener.ProxyExecutionListener;
import java.util.Locale;
import java.util.stream.Collectors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.r2dbc.ConnectionFactoryDecorator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.util.context.ContextView;

/**
 * A span per PostgreSQL statement when tracing is on (issue 24, docs/adr/0089): the R2DBC
 * connection factory under the pool is wrapped by r2dbc-proxy with a listener that starts a client
 * span before each statement and ends it after its last result, as a child of the span in the
 * statement's Reactor context ({@link TraceScope#current}: the stage, the callback, the request).
 *
 * <p>Span {@code postgresql <OPERATION>} ({@code SELECT}, {@code INSERT}, {@code WITH} …),
 * attributes {@code db.system} = {@code postgresql}, {@code db.operation} and {@code db.statement}:
 * the SQL text with its bind markers, never the bound values (card fingerprints, payer numbers,
 * amounts stay out of traces). A statement outside traced work (pollers, group-committed
 * batches of several payments, pool validation) gets no span: no orphan traces.
 *
 * <p>With tracing off (no tracer, or the no-op one: the bench and test profiles) the factory is
 * left unwrapped, so statements pay nothing. Spring Boot's own R2DBC proxy and observation
 * auto-configurations are excluded ({@code MalipoApplication}): they would wrap the factory in
 * every profile and add a {@code r2dbc.query} timer per thread.
 */
@Configuration(proxyBeanMethods = false)
public class DatabaseSpans {

  /** Longest statement text kept on a span; the longest single statements are a few KiB. */
  static final int STATEMENT_CHARS_MAX = 4096;

  /** Wraps the connection factory (before pooling) when a real tracer exists. */
  @Bean
  ConnectionFactoryDecorator databaseSpansDecorator(ObjectProvider<Tracer> tracer) {
    return factory -> {
      Tracer active = TraceScope.active(tracer.getIfAvailable());
      return active == null ? factory
          : ProxyConnectionFactory.builder(factory).listener(new Listener(active)).build();
    };
  }

  /** Starts and ends the statements' spans. */
  static final class Listener implements ProxyExecutionListener {

    private final Tracer tracer;

    Listener(Tracer tracer) {
      this.tracer = tracer;
    }

    @Override
    public void beforeQuery(QueryExecutionInfo execution) {
      ContextView context = execution.getValueStore().get(ContextView.class, ContextView.class);
      Span parent = context == null ? null : TraceScope.current(context);
      if (parent == null) {
        return;
      }
      String sql = execution.getQueries().stream().map(QueryInfo::getQuery).collect(Collectors.joining(";\n"));
      String operation = operation(sql);
      Span span = tracer.spanBuilder().setParent(parent.context()).name("postgresql " + operation).kind(Span.Kind.CLIENT)
          .remoteServiceName("postgresql")
          .tag("db.system", "postgresql")
          .tag("db.operation", operation)
          .tag("db.statement", sql.length() > STATEMENT_CHARS_MAX ? sql.substring(0, STATEMENT_CHARS_MAX) : sql)
          .start();
      execution.getValueStore().put(Span.class, span);
    }

    @Override
    public void afterQuery(QueryExecutionInfo execution) {
      Span span = execution.getValueStore().get(Span.class, Span.class);
      if (span == null) {
        return;
      }
      if (execution.getThrowable() != null) {
        span.error(execution.getThrowable());
      }
      span.end();
    }

    /** The statement's first keyword, upper case: a low-cardinality span name. */
    static String operation(String sql) {
      String trimmed = sql.stripLeading();
      int end = 0;
      while (end < trimmed.length() && end < 16 && Character.isLetter(trimmed.charAt(end))) {
        end++;
      }
      return end == 0 ? "statement" : trimmed.substring(0, end).toUpperCase(Locale.ROOT);
    }
  }
}
