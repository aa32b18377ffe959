package org.malipo.gateway.simulation;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.reactivestreams.Publisher;
import org.springframework.util.ClassUtils;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * PostgreSQL as the simulation sees it: the gateway's R2DBC {@link ConnectionFactory} wrapped so
 * that every statement asks a {@link Hook} first. The hook knows, from the {@link SimTag} in the
 * subscriber's Reactor context, whose work the statement is, and may let it run, fail it before it
 * reaches the server (a lost connection: nothing written), fail it after it ran (committed when it
 * is its own transaction, but the answer never came back), or declare the instance dead, after
 * which no statement or commit of that incarnation reaches the server.
 *
 * <p>Statements of untagged work (the outbox relay, the webhook dispatcher, the checks) always run.
 * The server is the real one; only the client's view of it is faulty.
 */
final class FaultyDatabase {

  /** What a statement is, by its text. */
  enum Kind {
    /** The first write: idempotency claim, payment and its created event. */
    CLAIM,
    /** The intent write before a rail call. */
    INTENT,
    /** The one writer's outcome statement. */
    OUTCOME,
    /** A row lock taken by the reconciler or callback processor before it writes. */
    LOCK,
    /** The claim-and-intent statement of a capture or void (or an expiry's void intent). */
    OPERATION,
    /** Anything else (reads, inbox, claims of due payments, exceptions). */
    OTHER;

    static Kind of(String sql) {
      if (sql.contains("payment_insert AS")) {
        return CLAIM;
      }
      if (sql.contains("payment_intent AS")) {
        return INTENT;
      }
      if (sql.contains("payment_outcome AS")) {
        return OUTCOME;
      }
      if (sql.contains("FOR UPDATE OF p")) {
        return LOCK;
      }
      if (sql.contains("operation_intent AS")) {
        return OPERATION;
      }
      return OTHER;
    }

    String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What happens to one statement. */
  enum Fault {
    /** It runs. */
    NONE,
    /** The connection is lost before the server sees it: nothing written, a transient error. */
    FAIL_BEFORE,
    /** It runs to the end, then the connection is lost: the client sees a transient error. */
    FAIL_AFTER,
    /** The instance is gone: nothing reaches the server any more (a non-retryable error unwinds the chain). */
    DEAD_BEFORE,
    /** It runs, then the instance dies before it hears the answer. */
    DEAD_AFTER
  }

  /** The simulation's decisions; called on whatever thread subscribes the statement, must not block. */
  interface Hook {

    /**
     * @param tag whose work this is
     * @param kind what it is
     * @param binds its bound values, in order
     */
    Fault onStatement(SimTag tag, Kind kind, List<Object> binds);

    /** Whether the commit of a transaction of {@code tag}'s work reaches the server (false: the instance is gone). */
    boolean commits(SimTag tag);
  }

  private volatile Hook hook;

  /** Installs the simulation's hook; null lets every statement run. */
  void hook(Hook next) {
    this.hook = next;
  }

  /** The error a lost connection gives the gateway (translated by Spring to a transient data-access error). */
  static RuntimeException connectionLost(String when) {
    return new R2dbcTransientResourceException("simulation: connection to PostgreSQL lost " + when);
  }

  /**
   * The error a dead instance's work gets: non-retryable (Spring translates it to a data-integrity
   * error), so the chain unwinds at once instead of waiting out its retry back-off. Nothing of it
   * reaches the server either way; how a dead process unwinds is not observable.
   */
  static RuntimeException instanceGone() {
    return new R2dbcDataIntegrityViolationException("simulation: this instance is gone");
  }

  /** {@code factory} behind the hook. */
  ConnectionFactory wrap(ConnectionFactory factory) {
    Set<Class<?>> interfaces = new LinkedHashSet<>();
    interfaces.add(ConnectionFactory.class);
    for (Class<?> type : ClassUtils.getAllInterfacesForClassAsSet(factory.getClass())) {
      // Not Wrapped: nobody must unwrap past the hook.
      if (type == io.r2dbc.spi.Closeable.class || type == reactor.core.Disposable.class || type == AutoCloseable.class) {
        interfaces.add(type);
      }
    }
    InvocationHandler handler = (proxy, method, args) -> {
      if (method.getName().equals("create") && method.getParameterCount() == 0) {
        return Mono.from(factory.create()).map(this::wrap);
      }
      return invoke(factory, method, args);
    };
    return (ConnectionFactory) Proxy.newProxyInstance(FaultyDatabase.class.getClassLoader(),
        interfaces.toArray(Class<?>[]::new), handler);
  }

  private Connection wrap(Connection connection) {
    InvocationHandler handler = (proxy, method, args) -> {
      switch (method.getName()) {
        case "createStatement" -> {
          String sql = (String) args[0];
          return statement(connection.createStatement(sql), sql);
        }
        case "commitTransaction" -> {
          return Mono.deferContextual(context -> {
            Hook current = hook;
            SimTag tag = SimTag.of(context);
            if (current != null && tag != null && !current.commits(tag)) {
              return Mono.error(instanceGone());
            }
            return Mono.from(connection.commitTransaction());
          });
        }
        default -> {
          return invoke(connection, method, args);
        }
      }
    };
    return (Connection) Proxy.newProxyInstance(FaultyDatabase.class.getClassLoader(), new Class<?>[] {Connection.class},
        handler);
  }

  private Statement statement(Statement statement, String sql) {
    List<Object> binds = Collections.synchronizedList(new ArrayList<>());
    Kind kind = Kind.of(sql);
    Statement[] self = new Statement[1];
    InvocationHandler handler = (proxy, method, args) -> {
      if (method.getName().equals("execute")) {
        return execute(statement, kind, binds);
      }
      if (method.getName().equals("bind") && args != null && args.length == 2) {
        // Spring binds typed values as R2DBC Parameters.
        binds.add(args[1] instanceof io.r2dbc.spi.Parameter parameter ? parameter.getValue() : args[1]);
      }
      Object result = invoke(statement, method, args);
      // bind, bindNull, add, fetchSize, returnGeneratedValues answer the statement itself.
      return result == statement ? self[0] : result;
    };
    self[0] = (Statement) Proxy.newProxyInstance(FaultyDatabase.class.getClassLoader(), new Class<?>[] {Statement.class},
        handler);
    return self[0];
  }

  private Publisher<? extends Result> execute(Statement statement, Kind kind, List<Object> binds) {
    return Flux.deferContextual(context -> {
      Hook current = hook;
      SimTag tag = SimTag.of(context);
      Fault fault = current == null || tag == null ? Fault.NONE : current.onStatement(tag, kind, snapshot(binds));
      return switch (fault) {
        case NONE -> Flux.from(statement.execute());
        case FAIL_BEFORE -> Flux.error(connectionLost("before " + kind.wireName()));
        case DEAD_BEFORE -> Flux.error(instanceGone());
        case FAIL_AFTER -> ranToTheEnd(statement).thenMany(Flux.error(connectionLost("after " + kind.wireName())));
        case DEAD_AFTER -> ranToTheEnd(statement).thenMany(Flux.error(instanceGone()));
      };
    });
  }

  private static List<Object> snapshot(List<Object> binds) {
    synchronized (binds) {
      // Bound values may be null (SQL NULL): no List.copyOf.
      return Collections.unmodifiableList(new ArrayList<>(binds));
    }
  }

  /** Runs the statement and reads every result to its end, so the server has finished with it. */
  private static Mono<Void> ranToTheEnd(Statement statement) {
    return Flux.from(statement.execute())
        .concatMap(result -> Flux.from(result.flatMap(segment -> Mono.just(1))))
        .then();
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
