package org.malipo.gateway.checkout;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.payment.CheckoutOrders;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The client side of a checkout session (issue 19), with a publishable key and the session's
 * client secret: read the session, and confirm it with a payment method.
 *
 * <p>A wrong client secret, or a session of another merchant or mode than the key's, is
 * {@code 404 not_found}, exactly like an unknown id. The client view shows {@code id, object,
 * status, amount, currency, payment_method_types, expires_at, payment} and nothing else.
 *
 * <p>Confirm is idempotent per {@code Idempotency-Key}: the key names one payment of the session
 * (its payment key is derived from session and key), recorded in {@code checkout_session_confirms}
 * before the payment starts; a retry replays that payment, never starts another. At most one
 * payment runs per session ({@code active_confirm_key}), at most {@value CheckoutSessions#MAX_PAYMENTS}
 * are started, and a complete session is never paid again.
 */
@Component
final class ClientCheckout {

  private final CheckoutSessions sessions;
  private final CheckoutLifecycle lifecycle;
  private final CheckoutOrders orders;
  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final StrictJson strictJson;
  private final JsonMapper json;
  private final Clock clock;

  ClientCheckout(CheckoutSessions sessions, CheckoutLifecycle lifecycle, CheckoutOrders orders, DatabaseClient db,
      TransactionalOperator tx, StrictJson strictJson, JsonMapper json, Clock clock) {
    this.sessions = sessions;
    this.lifecycle = lifecycle;
    this.orders = orders;
    this.db = db;
    this.tx = tx;
    this.strictJson = strictJson;
    this.json = json;
    this.clock = clock;
  }

  /** The client view: exactly the fields issue 19 lists. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  record ClientView(String id, String object, String status, long amount, String currency,
      List<String> paymentMethodTypes, String expiresAt, CheckoutSession.PaymentSummary payment) {}

  /** {@code GET /v1/checkout_sessions/{id}?client_secret=…} with a publishable key. */
  Mono<Object> get(Principal principal, String id, String clientSecret) {
    return authorized(principal, id, clientSecret).flatMap(this::clientView).map(view -> (Object) view);
  }

  /**
   * {@code POST /v1/checkout_sessions/{id}/confirm}.
   *
   * @param body {@code {client_secret, payment_method}}
   * @return the client view with its payment ({@code succeeded}, {@code failed}, {@code pending}
   *     or {@code processing}); errors {@code 404 not_found}, {@code 400
   *     checkout_session_expired}, {@code 409 checkout_session_complete}, {@code 409
   *     checkout_session_attempts_exhausted}, {@code 409 idempotency_in_progress} (another
   *     confirm's payment is running), and the payment's own validation problems
   */
  Mono<ClientView> confirm(Principal principal, String id, String confirmKey, byte[] body) {
    JsonNode tree = strictJson.readObject(body);
    for (var entry : tree.properties()) {
      if (!List.of("client_secret", "payment_method").contains(entry.getKey())) {
        throw ApiProblem.param(ProblemCode.PARAMETER_UNKNOWN, entry.getKey(), "Unknown parameter '" + entry.getKey() + "'.");
      }
    }
    String secret = tree.path("client_secret").isString() ? tree.path("client_secret").asString() : null;
    if (secret == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "client_secret", "client_secret is required.");
    }
    JsonNode method = tree.get("payment_method");
    if (method == null || !method.isObject()) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "payment_method", "payment_method is required.");
    }
    String paymentKey = paymentKey(id, confirmKey);
    return authorized(principal, id, secret).flatMap(session -> {
      String type = method.path("type").asString("");
      if (!session.paymentMethodTypes().contains(type)) {
        return Mono.error(ApiProblem.param(ProblemCode.PARAMETER_INVALID, "payment_method.type",
            "This checkout session accepts " + String.join(" and ", session.paymentMethodTypes()) + "."));
      }
      Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
      return confirmed(session.id(), confirmKey).flatMap(retry -> {
        if (retry && "complete".equals(session.status())) {
          return clientView(session); // the answer to a retried confirm whose payment succeeded
        }
        if ("complete".equals(session.status())) {
          return Mono.error(complete(id));
        }
        Mono<Void> slot = retry ? retake(session, confirmKey, now) : reserve(session, confirmKey, paymentKey, now);
        return slot
            .then(Mono.defer(() -> orders.pay(session.merchantId(), session.livemode(), paymentKey,
                paymentBody(session, method))))
            // Recording the outcome runs after the payment's answer; if the client hangs up first,
            // the sweeper records it (CheckoutSweeper.settleRunning).
            .flatMap(paid -> lifecycle.settle(session, confirmKey, paymentKey).then())
            .then(sessions.find(session.merchantId(), session.livemode(), id))
            .flatMap(this::clientView);
      });
    });
  }

  /** Whether this confirm key was seen before for this session (a retry). */
  private Mono<Boolean> confirmed(String sessionId, String confirmKey) {
    return db.sql("SELECT 1 FROM checkout_session_confirms WHERE session_id = :id AND confirm_key = :key")
        .bind("id", sessionId).bind("key", confirmKey)
        .map(row -> 1).first().hasElement();
  }

  /**
   * A retried confirm takes the running-payment slot again unless another confirm holds it; it
   * starts no new payment (its payment key replays the first), so the count does not move.
   */
  private Mono<Void> retake(CheckoutSession session, String confirmKey, Instant now) {
    return db.sql("UPDATE checkout_sessions SET active_confirm_key = :key, updated_at = :now"
            + " WHERE id = :id AND status = 'open' AND (active_confirm_key IS NULL OR active_confirm_key = :key)")
        .bind("key", confirmKey).bind("now", now).bind("id", session.id())
        .fetch().rowsUpdated()
        .flatMap(rows -> rows == 1 ? Mono.<Void>empty() : Mono.error(refusal(session, now)));
  }

  /**
   * Records this confirm and takes the session's one running-payment slot, in one transaction:
   * a new key needs an open, unexpired session with no payment running and fewer than 5 started;
   * a retried key (its row exists) goes straight to its payment's replay.
   */
  private Mono<Void> reserve(CheckoutSession session, String confirmKey, String paymentKey, Instant now) {
    Mono<Void> work = db.sql("INSERT INTO checkout_session_confirms (session_id, confirm_key, payment_key)"
            + " VALUES (:id, :key, :payment) ON CONFLICT (session_id, confirm_key) DO NOTHING")
        .bind("id", session.id()).bind("key", confirmKey).bind("payment", paymentKey)
        .fetch().rowsUpdated()
        .flatMap(inserted -> inserted == 0 ? Mono.<Void>empty() : db.sql("""
                UPDATE checkout_sessions SET active_confirm_key = :key, payments_started = payments_started + 1,
                    updated_at = :now
                WHERE id = :id AND status = 'open' AND expires_at > :now AND active_confirm_key IS NULL
                    AND payments_started < :max""")
            .bind("key", confirmKey).bind("now", now).bind("id", session.id()).bind("max", CheckoutSessions.MAX_PAYMENTS)
            .fetch().rowsUpdated()
            .flatMap(rows -> rows == 1 ? Mono.<Void>empty() : Mono.error(refusal(session, now))));
    return tx.transactional(work);
  }

  /** Why a new confirm cannot start a payment (the transaction rolls back its confirm row). */
  private ApiProblem refusal(CheckoutSession session, Instant now) {
    if ("complete".equals(session.status())) {
      return complete(session.id());
    }
    if (!"open".equals(session.status()) || !session.expiresAt().isAfter(now)) {
      return expired(session.id());
    }
    if (session.paymentsStarted() >= CheckoutSessions.MAX_PAYMENTS) {
      return ApiProblem.of(ProblemCode.CHECKOUT_SESSION_ATTEMPTS_EXHAUSTED,
          "Checkout session " + session.id() + " has started its " + CheckoutSessions.MAX_PAYMENTS + " payments.");
    }
    return ApiProblem.of(ProblemCode.IDEMPOTENCY_IN_PROGRESS,
            "A payment of checkout session " + session.id() + " is still running; poll the session.")
        .withHeaders(Map.of("Retry-After", "1"));
  }

  private byte[] paymentBody(CheckoutSession session, JsonNode method) {
    ObjectNode payment = json.createObjectNode();
    payment.put("amount", session.amount().amountMinor());
    payment.put("currency", session.amount().currency().code());
    payment.set("payment_method", method);
    if (session.reference() != null) {
      payment.put("reference", session.reference());
    }
    if (session.description() != null) {
      payment.put("description", session.description());
    }
    if (!session.metadata().isEmpty()) {
      payment.set("metadata", json.valueToTree(session.metadata()));
    }
    if ("manual".equals(session.captureMethod())) {
      payment.put("capture_method", "manual");
    }
    // After 3-D Secure the bank sends the browser back to the hosted page, which polls the session.
    // No client secret in it: the return_url is on the payment, which the merchant's events carry;
    // the page keeps the secret in its tab's sessionStorage meanwhile.
    payment.put("return_url", "/checkout/" + session.id());
    return json.writeValueAsBytes(payment);
  }

  /** The session of the key's merchant and mode whose secret matches, else 404; expired is 400. */
  private Mono<CheckoutSession> authorized(Principal principal, String id, String clientSecret) {
    return sessions.find(principal.merchantId(), principal.livemode(), id)
        .filter(session -> clientSecret != null && MessageDigest.isEqual(
            session.clientSecret().getBytes(StandardCharsets.UTF_8), clientSecret.getBytes(StandardCharsets.UTF_8)))
        .switchIfEmpty(Mono.error(() -> CheckoutSessionController.notFound(id)))
        .flatMap(session -> "expired".equals(session.status()) || session.expiredBy(clock.instant())
            ? Mono.error(expired(id)) : Mono.just(session));
  }

  private Mono<ClientView> clientView(CheckoutSession session) {
    String status = session.expiredBy(clock.instant()) ? "expired" : session.status();
    Mono<CheckoutSession.PaymentSummary> payment = session.paymentId() == null ? Mono.empty()
        : orders.state(session.merchantId(), session.livemode(), session.paymentId()).map(CheckoutSessionController::clientSummary);
    return payment.map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty())
        .map(summary -> new ClientView(session.id(), "checkout_session", status, session.amount().amountMinor(),
            session.amount().currency().code(), session.paymentMethodTypes(), session.expiresAt().toString(),
            summary.orElse(null)));
  }

  /** The payment's idempotency key: derived from the session and the confirm's key, 80 characters. */
  static String paymentKey(String sessionId, String confirmKey) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest((sessionId + "\n" + confirmKey).getBytes(StandardCharsets.UTF_8));
      return "checkout_" + HexFormat.of().formatHex(digest, 0, 16) + "_" + sessionId.substring(3);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  static ApiProblem expired(String id) {
    return ApiProblem.of(ProblemCode.CHECKOUT_SESSION_EXPIRED, "Checkout session " + id + " has expired.");
  }

  static ApiProblem complete(String id) {
    return ApiProblem.of(ProblemCode.CHECKOUT_SESSION_COMPLETE, "Checkout session " + id + " is complete: it was paid.");
  }
}
