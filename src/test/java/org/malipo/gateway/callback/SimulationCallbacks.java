package org.malipo.gateway.callback;

import java.nio.charset.StandardCharsets;
import org.springframework.context.ApplicationContext;
import reactor.core.publisher.Mono;

/**
 * The callback module's package-private reconciler and inbox, as the orchestrator simulation
 * ({@code org.malipo.gateway.simulation}) drives them on a given gateway context: one pass at a
 * time, when the simulation says, instead of on their timers. Test code.
 */
public final class SimulationCallbacks {

  private SimulationCallbacks() {}

  /** One pass of the payment reconciler; emits how many payments it checked. */
  public static Mono<Long> reconcile(ApplicationContext gateway) {
    return gateway.getBean(PaymentReconciler.class).reconcile();
  }

  /** Processes due inbox rows until a batch comes back short; emits how many. */
  public static Mono<Long> drain(ApplicationContext gateway) {
    return gateway.getBean(CallbackProcessor.class).drain();
  }

  /** Stores a callback as {@code POST /v1/callbacks/…?ref=hint} does, without waking the processor. */
  public static Mono<Long> receive(ApplicationContext gateway, String rail, String referenceHint, String body) {
    return gateway.getBean(Inbox.class).insert(rail, referenceHint, body.getBytes(StandardCharsets.UTF_8));
  }

  /** The window after which an unsettled payment or an unconfirmed report becomes an exception. */
  public static java.time.Duration unconfirmedWindow(ApplicationContext gateway) {
    return gateway.getBean(CallbackProperties.class).unconfirmedWindow();
  }
}
