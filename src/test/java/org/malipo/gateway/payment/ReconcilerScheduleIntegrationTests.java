package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * The reconciler's checks back off per rail ({@code malipo.callbacks.rail-check-intervals}): a rail
 * with a long interval is not asked again sooner, whatever the default.
 */
class ReconcilerScheduleIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired PaymentResolutions resolutions;

  @Test
  void aRailsOwnIntervalSetsItsNextCheckAndOtherRailsKeepTheDefault() {
    String merchant = TestMerchants.create(db, clients, web, "payments:read").merchantId();
    String slowRail = pendingPayment(merchant, "sim_slow_rail");
    String otherRail = pendingPayment(merchant, "sim_other_rail");
    PaymentResolutions.CheckSchedule schedule = new PaymentResolutions.CheckSchedule(Duration.ofMillis(1),
        Duration.ofSeconds(1), Map.of("sim_slow_rail", Duration.ofHours(1)));

    List<String> claimed = resolutions.claimDue(schedule, 1_000).map(due -> due.attempt().paymentId())
        .collectList().block(WAIT);

    assertThat(claimed).contains(slowRail, otherRail);
    assertThat(secondsToNextCheck(slowRail)).isGreaterThan(3_000);
    assertThat(secondsToNextCheck(otherRail)).isLessThan(60);
  }

  /**
   * Due for a claim whose first check comes 1 ms after the last change, not yet for the suite's
   * running reconciler (1 s), so only this test claims it.
   */
  private String pendingPayment(String merchant, String rail) {
    String id = Ids.next("pay");
    db.sql("""
            INSERT INTO payments (id, merchant_id, idempotency_key, status, amount_minor, currency, method_type, provider,
                created_at, updated_at)
            VALUES (:id, :merchant, :id, 'pending', 1500, 'KES', 'mobile_money', :rail, now(),
                now() - interval '100 milliseconds')""")
        .bind("id", id).bind("merchant", merchant).bind("rail", rail).then().block(WAIT);
    return id;
  }

  private long secondsToNextCheck(String id) {
    return db.sql("SELECT CAST(extract(epoch FROM next_status_check_at - now()) AS bigint) FROM payments WHERE id = :id")
        .bind("id", id).map(row -> row.get(0, Long.class)).one().block(WAIT);
  }
}
