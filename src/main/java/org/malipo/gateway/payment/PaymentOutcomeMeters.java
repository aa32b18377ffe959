package org.malipo.gateway.payment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * What an SRE counts payments by (issue 24): counter {@code malipo.payments.outcomes} (Prometheus
 * {@code malipo_payments_outcomes_total}) with tags {@code rail} (the provider that answered,
 * {@code none} when no rail was reached), {@code method} ({@code card}, {@code mobile_money}),
 * {@code currency} (ISO 4217) and {@code outcome}, one increment per committed status change:
 *
 * <ul>
 *   <li>{@code succeeded};
 *   <li>{@code declined}: failed by the rail's or the fraud rules' decision (the payer's or the
 *       issuer's business, not the gateway's failure);
 *   <li>{@code unavailable}: failed because no rail could take it ({@code provider_unavailable}),
 *       the gateway's failure, which the success SLO counts against;
 *   <li>{@code pending}, {@code requires_action}: waiting for the payer or a callback;
 *   <li>{@code unknown}: the rail's answer was lost, the payment stays {@code processing}.
 * </ul>
 *
 * <p>Timer {@code malipo.payments.decision} (Prometheus {@code malipo_payments_decision_seconds},
 * with SLO buckets at 0.5, 1, 2 and 5 s), tag {@code rail}: from the payment's creation to the
 * first answer its own request gets. Meters are cached by tags: a lookup is a map read. Owned by
 * {@link OutcomeWriter}, the one writer of every outcome.
 */
public final class PaymentOutcomeMeters {

  /** Counter name. */
  public static final String OUTCOMES = "malipo.payments.outcomes";
  /** Timer name. */
  public static final String DECISION = "malipo.payments.decision";

  private final MeterRegistry registry;
  private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

  PaymentOutcomeMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Counts one committed outcome of {@code result}; for the request's own answer, times it too. */
  void record(Payment result, boolean requestAnswer) {
    String rail = result.provider() == null ? "none" : result.provider();
    String outcome = outcome(result);
    String method = result.card() != null ? "card" : "mobile_money";
    String currency = result.amount().currency().code();
    counters.computeIfAbsent(rail + '\u0000' + method + '\u0000' + currency + '\u0000' + outcome,
        key -> Counter.builder(OUTCOMES).description("Payment status changes, by rail, method, currency and outcome")
            .tag("rail", rail).tag("method", method).tag("currency", currency).tag("outcome", outcome)
            .register(registry))
        .increment();
    if (requestAnswer && result.createdAt() != null && result.updatedAt() != null) {
      Duration taken = Duration.between(result.createdAt(), result.updatedAt());
      if (!taken.isNegative()) {
        timers.computeIfAbsent(rail, key -> Timer.builder(DECISION)
                .description("From a payment's creation to its request's answer")
                .serviceLevelObjectives(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
                    Duration.ofSeconds(5))
                .tag("rail", rail).register(registry))
            .record(taken);
      }
    }
  }

  /** The {@code outcome} tag of a payment after its change. */
  static String outcome(Payment result) {
    return switch (result.status()) {
      case SUCCEEDED -> "succeeded";
      case FAILED -> result.failure() != null
          && Payment.Failure.PROVIDER_UNAVAILABLE.code().equals(result.failure().code()) ? "unavailable" : "declined";
      case PENDING -> "pending";
      case REQUIRES_ACTION -> "requires_action";
      case REQUIRES_CAPTURE -> "authorized";
      case CANCELED -> "canceled";
      case PROCESSING -> "unknown";
    };
  }
}
