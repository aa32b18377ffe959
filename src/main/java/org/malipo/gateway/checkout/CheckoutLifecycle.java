package org.malipo.gateway.checkout;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.malipo.gateway.events.OutboxWriter;
import org.malipo.gateway.payment.CheckoutOrders;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/**
 * The one writer of a session's status after creation: {@code open → complete} when its payment
 * succeeded (or, with manual capture, was authorized: {@code requires_capture}),
 * {@code open → expired} by time or by the merchant, each with its event
 * ({@code checkout.session.completed}, {@code checkout.session.expired}) in the same transaction
 * (INVARIANTS.md 12). Every move is guarded by {@code status = 'open'}, so two instances, a
 * confirm and the sweeper can race and the session still moves once.
 */
@Component
final class CheckoutLifecycle {

  static final String COMPLETED = "checkout.session.completed";
  static final String EXPIRED = "checkout.session.expired";

  private final DatabaseClient db;
  private final CheckoutSessions sessions;
  private final CheckoutOrders orders;
  private final OutboxWriter outbox;
  private final TransactionalOperator tx;
  private final CheckoutProperties properties;
  private final Clock clock;

  CheckoutLifecycle(DatabaseClient db, CheckoutSessions sessions, CheckoutOrders orders, OutboxWriter outbox,
      TransactionalOperator tx, CheckoutProperties properties, Clock clock) {
    this.db = db;
    this.sessions = sessions;
    this.orders = orders;
    this.outbox = outbox;
    this.tx = tx;
    this.properties = properties;
    this.clock = clock;
  }

  /**
   * Expires an open session with no payment running, and writes its event.
   *
   * @param dueOnly true for the sweeper (only past {@code expires_at}); false for the merchant
   * @return true if this call expired it; false if it was not open, not due, or a payment runs
   */
  Mono<Boolean> expire(CheckoutSession session, Instant at, boolean dueOnly) {
    Mono<Boolean> work = sessions.expire(session.id(), at, dueOnly)
        .flatMap(expired -> !expired ? Mono.just(false)
            : event(session.id(), EXPIRED, at).thenReturn(true));
    return tx.transactional(work).doOnNext(expired -> {
      if (expired) {
        outbox.committed();
      }
    });
  }

  /**
   * Records where the running payment of a session stands (after a confirm, or from the sweeper
   * after a hang-up, a crash or an STK push's callback): succeeded completes the session, failed
   * frees it for another try, anything else leaves it waiting.
   *
   * @param paymentKey the idempotency key of the confirm's payment
   * @return the payment state, or empty when no payment was recorded with that key (yet)
   */
  Mono<CheckoutOrders.PaymentState> settle(CheckoutSession session, String confirmKey, String paymentKey) {
    return orders.stateByKey(session.merchantId(), session.livemode(), paymentKey)
        .flatMap(state -> record(session, confirmKey, state).thenReturn(state));
  }

  private Mono<Void> record(CheckoutSession session, String confirmKey, CheckoutOrders.PaymentState state) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    // An authorized manual-capture payment completes the session: the merchant captures it later.
    boolean paid = "succeeded".equals(state.status()) || "requires_capture".equals(state.status());
    String sql = switch (state.status()) {
      case "succeeded", "requires_capture" -> "UPDATE checkout_sessions SET status = 'complete', completed_at = :at, payment_id = :payment,"
          + " active_confirm_key = NULL, updated_at = :at WHERE id = :id AND status = 'open'";
      case "failed", "canceled" -> "UPDATE checkout_sessions SET payment_id = :payment, active_confirm_key = NULL, updated_at = :at"
          + " WHERE id = :id AND active_confirm_key = :key";
      default -> "UPDATE checkout_sessions SET payment_id = :payment, updated_at = :at"
          + " WHERE id = :id AND active_confirm_key = :key";
    };
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql).bind("at", now).bind("payment", state.id())
        .bind("id", session.id());
    if (!paid) {
      spec = spec.bind("key", confirmKey);
    }
    Mono<Void> work = spec.fetch().rowsUpdated()
        .flatMap(rows -> rows == 1 && paid ? event(session.id(), COMPLETED, now)
            : Mono.empty());
    return tx.transactional(work).doOnSuccess(done -> outbox.committed());
  }

  /** The session's event, its data the merchant's view of the session as it now stands. */
  private Mono<Void> event(String sessionId, String type, Instant at) {
    return db.sql("SELECT merchant_id, livemode FROM checkout_sessions WHERE id = :id")
        .bind("id", sessionId)
        .map(row -> new Object[] {row.get("merchant_id", String.class), row.get("livemode", Boolean.class)})
        .one()
        .flatMap(owner -> sessions.find((String) owner[0], (Boolean) owner[1], sessionId))
        .flatMap(session -> view(session)
            .flatMap(view -> outbox.append(session.id(), session.merchantId(), type, at, view)))
        .then();
  }

  /**
   * The session as its events show it: the merchant's view without the client secret; {@code url}
   * on the configured base (or relative) and without the fragment that carries the secret.
   */
  Mono<CheckoutSession.View> view(CheckoutSession session) {
    String url = properties.baseUrl() + "/checkout/" + session.id();
    if (session.paymentId() == null) {
      return Mono.just(session.eventView(url, null));
    }
    return orders.state(session.merchantId(), session.livemode(), session.paymentId())
        .map(state -> session.eventView(url, CheckoutSessionController.summary(state)))
        .defaultIfEmpty(session.eventView(url, null));
  }
}
