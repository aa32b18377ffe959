package org.malipo.gateway.common;

import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Where a Redis call is subscribed. Spring's shared Lettuce connection is opened synchronously, on
 * the subscribing thread, the first time it is used. Until one call has come back, calls therefore
 * subscribe on {@code boundedElastic}, so that wait (up to the connect timeout) never lands on an
 * event loop. After that the connection exists for the life of the connection factory (Lettuce
 * reconnects it in place; Spring replaces it only when connection validation is on, which it is
 * not here) and calls stay on the caller's thread: a payment saves four thread hops
 * (docs/performance.md).
 */
@Component
public final class RedisCalls {

  private volatile boolean connected;

  /**
   * @param call a Redis command of Spring's reactive template
   * @return the same call, subscribed off the event loop until the shared connection is known open
   */
  public <T> Mono<T> mono(Mono<T> call) {
    return connected ? call : call.subscribeOn(Schedulers.boundedElastic()).doOnSuccess(value -> connected = true);
  }

  /**
   * @param call a Redis command of Spring's reactive template that answers with several values
   * @return the same call, subscribed off the event loop until the shared connection is known open
   */
  public <T> Flux<T> flux(Flux<T> call) {
    return connected ? call : call.subscribeOn(Schedulers.boundedElastic()).doOnComplete(() -> connected = true);
  }
}
