package org.malipo.gateway.fraud;

import java.util.List;

/**
 * The fraud verdict on one payment.
 *
 * @param score 0 (no risk seen) to 100
 * @param decision what to do with the payment
 * @param reasons names of the rules that fired, e.g. {@code card_velocity_minute}
 * @param degraded true when a rule could not run (Redis unavailable) and was skipped
 */
public record RiskAssessment(int score, Decision decision, List<String> reasons, boolean degraded) {

  /** Reason recorded when the velocity rules were skipped because Redis did not answer. */
  public static final String VELOCITY_UNAVAILABLE = "velocity_unavailable";

  public RiskAssessment {
    reasons = List.copyOf(reasons);
  }

  /** Allow: go on; review: go on, flagged; block: fail the payment with {@code risk_declined}. */
  public enum Decision {
    ALLOW,
    REVIEW,
    BLOCK;

    /** The JSON form, e.g. {@code "allow"}. */
    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
