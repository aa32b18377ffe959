package org.malipo.gateway.fraud;

import java.util.ArrayList;
import java.util.List;
import org.malipo.gateway.fraud.RiskAssessment.Decision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Fraud scoring v0: a few named rules, each adding to a score capped at 100.
 *
 * <table>
 *   <caption>Rules</caption>
 *   <tr><th>rule</th><th>points</th></tr>
 *   <tr><td>{@code blocklisted_bin}, {@code blocklisted_card}</td><td>100</td></tr>
 *   <tr><td>{@code amount_over_merchant_limit}</td><td>80</td></tr>
 *   <tr><td>{@code card_velocity_minute}</td><td>60</td></tr>
 *   <tr><td>{@code card_amount_hour}</td><td>40</td></tr>
 * </table>
 *
 * <p>Decision: score ≥ 80 block, ≥ 50 review, else allow. When Redis does not answer within
 * {@code malipo.fraud.redis-timeout}, the velocity and card-blocklist rules are skipped and the
 * assessment is flagged {@code degraded}: payments keep flowing.
 */
@Component
public final class FraudScorer {

  static final int BLOCK_AT = 80;
  static final int REVIEW_AT = 50;

  private static final Logger log = LoggerFactory.getLogger(FraudScorer.class);

  private final FraudProperties properties;
  private final VelocityCounters counters;

  FraudScorer(FraudProperties properties, VelocityCounters counters) {
    this.properties = properties;
    this.counters = counters;
  }

  /**
   * Scores one payment; counts it in the card's velocity windows once per idempotency key.
   *
   * @return the assessment; never an error (a Redis failure gives a degraded assessment)
   */
  public Mono<RiskAssessment> score(FraudCheck check) {
    List<String> reasons = new ArrayList<>();
    int score = 0;
    if (properties.blockedBins().contains(check.bin())) {
      score += 100;
      reasons.add("blocklisted_bin");
    }
    long limit = properties.merchantAmountLimitMinor()
        .getOrDefault(check.amount().currency().code(), properties.defaultMerchantAmountLimitMinor());
    if (check.amount().amountMinor() > limit) {
      score += 80;
      reasons.add("amount_over_merchant_limit");
    }
    int staticScore = score;
    return counters.record(check.cardFingerprint(), check.amount().amountMinor(), check.merchantId() + ":" + check.idempotencyKey())
        .timeout(properties.redisTimeout())
        .map(velocity -> {
          List<String> all = new ArrayList<>(reasons);
          int total = staticScore;
          if (velocity.blocklisted()) {
            total += 100;
            all.add("blocklisted_card");
          }
          if (velocity.paymentsThisMinute() > properties.cardPaymentsPerMinuteMax()) {
            total += 60;
            all.add("card_velocity_minute");
          }
          if (velocity.amountThisHourMinor() > properties.cardAmountPerHourMaxMinor()) {
            total += 40;
            all.add("card_amount_hour");
          }
          return assess(total, all, false);
        })
        .onErrorResume(error -> {
          List<String> all = new ArrayList<>(reasons);
          all.add(RiskAssessment.VELOCITY_UNAVAILABLE);
          // handle, not a plain call: it puts the request's log context into the MDC (api.LogContext).
          return Mono.just(assess(staticScore, all, true)).handle((degraded, sink) -> {
            log.warn("fraud velocity rules skipped: Redis unavailable ({})", error.toString());
            sink.next(degraded);
          });
        });
  }

  private static RiskAssessment assess(int rawScore, List<String> reasons, boolean degraded) {
    int score = Math.min(100, rawScore);
    Decision decision = score >= BLOCK_AT ? Decision.BLOCK : score >= REVIEW_AT ? Decision.REVIEW : Decision.ALLOW;
    return new RiskAssessment(score, decision, reasons, degraded);
  }
}
