package org.malipo.gateway.common;

import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;

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
