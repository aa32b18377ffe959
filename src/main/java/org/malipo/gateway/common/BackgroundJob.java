package org.malipo.gateway.common;

import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A reactive loop that runs from context start to context stop (outbox relay, callback
 * processing, sweepers, settlement, webhook deliveries). Subclasses build the loop; this class
 * owns its subscription, so every job starts and stops the same way.
 */
public abstract class BackgroundJob implements SmartLifecycle {

  private volatile Disposable running;

  /**
   * Subscribes the job's loop. The loop must bound its own work (ticks dropped while busy,
   * limited concurrency) and handle its errors, or it stops at the first one.
   *
   * @return the subscription, disposed on {@link #stop()}
   */
  protected abstract Disposable launch();

  /**
   * The common loop of the periodic jobs: {@code pass} every {@code interval}, one pass at a time
   * (ticks that come while a pass runs are dropped, so a slow pass never queues up more); a failed
   * pass is logged at WARN on {@code log} as "{@code what} failed" and the next tick tries again.
   *
   * @param interval time between ticks
   * @param log the job's own logger
   * @param what the pass's name in the warning, e.g. "settlement pass"
   * @param pass one bounded pass
   * @return the loop's subscription, for {@link #launch()} to return
   */
  protected static Disposable everyInterval(Duration interval, Logger log, String what, Supplier<Mono<?>> pass) {
    return Flux.interval(interval)
        .onBackpressureDrop()
        .concatMap(tick -> pass.get().then().onErrorResume(error -> {
          log.warn("{} failed, retried next tick: {}", what, error.toString());
          return Mono.empty();
        }), 1)
        .subscribe();
  }

  @Override
  public final void start() {
    running = launch();
  }

  @Override
  public final void stop() {
    Disposable subscription = running;
    if (subscription != null) {
      subscription.dispose();
    }
  }

  @Override
  public final boolean isRunning() {
    Disposable subscription = running;
    return subscription != null && !subscription.isDisposed();
  }
}
