package org.malipo.gateway.simulation;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Redis as the simulation sees it: the gateway's reactive connection factory wrapped so that every
 * command of work whose {@link SimTag} says {@code redisDown} fails at once, as with a Redis that is
 * down (the fraud velocity rules then degrade and the idempotency cache is skipped; PostgreSQL
 * stays the guard). Other work reaches the real Redis.
 */
final class FaultyRedis {

  private static final String PACKAGE = "org.springframework.data.redis.connection";

  private final AtomicLong failed = new AtomicLong();

  /** Commands failed so far. */
  long failed() {
    return failed.get();
  }

  ReactiveRedisConnectionFactory wrap(ReactiveRedisConnectionFactory factory) {
    return (ReactiveRedisConnectionFactory) proxy(factory, ReactiveRedisConnectionFactory.class);
  }

  private Object proxy(Object target, Class<?> type) {
    InvocationHandler handler = (proxy, method, args) -> {
      Object result = invoke(target, method, args);
      Class<?> returns = method.getReturnType();
      if (method.getName().startsWith("close")) {
        return result;
      }
      if (result instanceof Mono<?> mono) {
        return Mono.deferContextual(context -> down(context) ? Mono.error(this::failure) : mono);
      }
      if (result instanceof Flux<?> flux) {
        return Flux.deferContextual(context -> down(context) ? Flux.defer(() -> Flux.error(failure())) : flux);
      }
      if (result != null && returns.isInterface() && returns.getPackageName().startsWith(PACKAGE)) {
        return proxy(result, returns);
      }
      return result;
    };
    return Proxy.newProxyInstance(FaultyRedis.class.getClassLoader(), new Class<?>[] {type}, handler);
  }

  private static boolean down(reactor.util.context.ContextView context) {
    SimTag tag = SimTag.of(context);
    return tag != null && tag.redisDown();
  }

  private RuntimeException failure() {
    failed.incrementAndGet();
    return new RedisConnectionFailureException("simulation: Redis is down");
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
