package org.malipo.gateway.common;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.Parameters;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.reactivestreams.Publisher;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.r2dbc.core.binding.BindMarkersFactory;
import reactor.core.publisher.Mono;

/**
 * Binding a {@link SingleStatement}'s named parameters to Spring's {@link DatabaseClient}: one by
 * one (each {@code bind} of the immutable spec copies every binding so far) against all at once
 * ({@code bindValues}, what {@code SingleStatement} does). 40 parameters is the order of one
 * payment's outcome statement; 640 of a group-commit statement of 16 payments. Nothing is executed: the
 * connection factory is a stand-in that is never asked for a connection.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StatementBindingBenchmark {

  @Param({"40", "640"})
  public int parameters;

  private DatabaseClient db;
  private final Map<String, Object> values = new LinkedHashMap<>();

  /** A client over a stand-in factory, and {@code parameters} bound values of mixed types. */
  @Setup
  public void setUp() {
    ConnectionFactory standIn = new ConnectionFactory() {
      @Override
      public Publisher<? extends Connection> create() {
        return Mono.error(new IllegalStateException("the benchmark executes nothing"));
      }

      @Override
      public ConnectionFactoryMetadata getMetadata() {
        return () -> "stand-in";
      }
    };
    // PostgreSQL's markers ($1, $2, ...), which Spring would find from a real driver's metadata.
    db = DatabaseClient.builder().connectionFactory(standIn).bindMarkers(BindMarkersFactory.indexed("$", 1)).build();
    for (int i = 0; i < parameters; i++) {
      values.put("p_" + i, Parameters.in(i % 2 == 0 ? "pay_01a200f779b77de8ac00d596fb87" + i : (Object) (1_500L + i)));
    }
  }

  /** As {@code SingleStatement} bound before: one {@code bind} per parameter. */
  @Benchmark
  public GenericExecuteSpec oneByOne() {
    GenericExecuteSpec spec = db.sql("SELECT 1");
    for (Map.Entry<String, Object> value : values.entrySet()) {
      spec = spec.bind(value.getKey(), value.getValue());
    }
    return spec;
  }

  /** As {@code SingleStatement} binds now. */
  @Benchmark
  public GenericExecuteSpec allAtOnce() {
    return db.sql("SELECT 1").bindValues(values);
  }
}
