package org.malipo.gateway.payment;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Runs each payment, once its key is claimed, apart from the HTTP exchange that started it
 * (docs/adr/0065-payment-lifecycle.md): a client that hangs up, or a response that times out,
 * cancels only the waiting for the answer, never the payment, which runs on to a final status or
 * a recorded unknown attempt.
 *
 * <p>Bounded: at most {@code malipo.payments.max-in-flight} payments run detached on this
 * instance; beyond that a new one is refused with {@code 503 overloaded} before its key is
 * claimed. On shutdown (after the web server stopped taking requests) the context waits for the
 * running payments, at most {@code spring.lifecycle.timeout-per-shutdown-phase}; what a crash
 * leaves is resumed by the reconciler. Gauge {@code malipo.payments.detached}.
 */
@Component
final class DetachedPayments implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(DetachedPayments.class);

  /** Stops after the web server's graceful shutdown (which stops at DEFAULT_PHASE - 1024). */
  private static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

  private final int maxRunning;
  private final AtomicInteger running = new AtomicInteger();
  private final Sinks.Empty<Void> drained = Sinks.empty();
  private volatile boolean stopping;
  private volatile boolean started;

  DetachedPayments(@Value("${malipo.payments.max-in-flight:2000}") int maxRunning, MeterRegistry meters) {
    this.maxRunning = maxRunning;
    Gauge.builder("malipo.payments.detached", running, AtomicInteger::get)
        .description("Payments running on this instance apart from their HTTP exchange").register(meters);
  }

  /**
   * Starts {@code work} now, detached from the subscriber, and gives back a view of its result.
   * The work keeps the caller's Reactor context (request id, rail-wait accounting).
   *
   * @param work the payment from its key's claim to its answer
   * @param answerTimeout how long the returned {@code Mono} waits for the work
   * @param asItStands what to answer when the wait is over first (the work runs on)
   * @return the work's result or error, or {@code asItStands}; cancelling it leaves the work
   *     running; error {@code 503 overloaded} when too many payments run already
   */
  <T> Mono<T> run(Mono<T> work, Duration answerTimeout, Mono<T> asItStands) {
    return Mono.deferContextual(context -> {
      if (running.incrementAndGet() > maxRunning || stopping) {
        finished();
        return Mono.error(ApiProblem.of(ProblemCode.OVERLOADED, "The gateway is at its in-flight limit; retry shortly.")
            .withHeaders(Map.of("Retry-After", "1")));
      }
      // toFuture() subscribes at once; fromFuture(…, true) does not cancel it when the exchange goes.
      var result = work.contextWrite(context).doFinally(signal -> finished()).toFuture();
      return Mono.fromFuture(result, true).timeout(answerTimeout, asItStands);
    });
  }

  private void finished() {
    if (running.decrementAndGet() == 0 && stopping) {
      drained.tryEmitEmpty();
    }
  }

  /** Payments running detached right now. */
  int running() {
    return running.get();
  }

  @Override
  public void start() {
    started = true;
  }

  @Override
  public void stop() {
    stop(() -> { });
  }

  @Override
  public void stop(Runnable callback) {
    stopping = true;
    started = false;
    int left = running.get();
    if (left == 0) {
      callback.run();
      return;
    }
    log.info("shutdown: waiting for {} payments in flight to finish", left);
    drained.asMono().subscribe(null, error -> callback.run(), () -> {
      log.info("shutdown: every payment in flight finished");
      callback.run();
    });
    if (running.get() == 0) {
      drained.tryEmitEmpty();
    }
  }

  @Override
  public boolean isRunning() {
    return started;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
