package org.malipo.gateway.common;

import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Where the request path's Redis commands are subscribed.
 *
 * <p>Spring's shared Lettuce connection is opened synchronously by the first command that needs it
 * (at start, and after a failure has it replaced), which must never happen on an event loop. Until
 * a command has succeeded, commands are therefore subscribed on {@code boundedElastic}; once one
 * has, the connection is open and they are subscribed where the caller runs, saving a thread hop
 * per command (four per payment; docs/performance.md). Any error or cancellation (a timeout)
 * returns to hopping until the next success.
 */
@Component
public final class RedisSubscriptions {

  private final AtomicBoolean connected = new AtomicBoolean();

  /**
   * @param command a lazy Redis command (nothing happens before subscription)
   * @return the same command, subscribed off the event loop until Redis has answered once
   */
  public <T> Mono<T> mono(Mono<T> command) {
    Mono<T> watched = command
        .doOnSuccess(value -> connected.set(true))
        .doOnError(error -> connected.set(false))
        .doOnCancel(() -> connected.set(false));
    return connected.get() ? watched : watched.subscribeOn(Schedulers.boundedElastic());
  }

  /**
   * @param command a lazy Redis command (nothing happens before subscription)
   * @return the same command, subscribed off the event loop until Redis has answered once
   */
  public <T> Flux<T> flux(Flux<T> command) {
    Flux<T> watched = command
        .doOnComplete(() -> connected.set(true))
        .doOnError(error -> connected.set(false))
        .doOnCancel(() -> connected.set(false));
    return connected.get() ? watched : watched.subscribeOn(Schedulers.boundedElastic());
  }
}
