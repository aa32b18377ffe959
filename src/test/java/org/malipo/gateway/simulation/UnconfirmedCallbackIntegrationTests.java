package org.malipo.gateway.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.callback.SimulationCallbacks;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.payment.SimulationPayments;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

/**
 * A success callback the rail cannot confirm yet is re-checked for the whole unconfirmed window
 * and then becomes an operator exception with the money in suspense (issue 18, docs/adr/0065):
 * never an {@code orphan} (which says no attempt matched) after {@code max-attempts} processings,
 * which would end the re-checks after about a minute. Found by the orchestrator simulation
 * (docs/simulation.md: a forged success naming another payment's pending push).
 */
class UnconfirmedCallbackIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final SimulationInstance gateway = SimulationInstance.get();
  private final DatabaseClient db = gateway.db();

  @AfterEach
  void noWorld() {
    gateway.world(null);
  }

  @Test
  void aSuccessTheRailCannotConfirmYetIsRecheckedPastMaxAttemptsThenBecomesAnExceptionNotAnOrphan() {
    AtomicInteger queries = new AtomicInteger();
    String reference = "ws_CO_unconfirmed_" + Ids.next("ref").substring(4, 16);
    // An STK push the customer has not answered: every status query says it is still pending.
    gateway.world(new ScriptedRail.World() {
      @Override
      public Mono<RailOutcome> authorize(ScriptedRail rail, org.malipo.gateway.rail.RailRequest request, SimTag tag) {
        return Mono.just(new RailOutcome.Pending(rail.name(), reference));
      }

      @Override
      public Mono<RailOutcome> query(ScriptedRail rail, String key, SimTag tag) {
        queries.incrementAndGet();
        return Mono.just(new RailOutcome.Pending(rail.name(), key));
      }
    });
    String merchant = Ids.next("mer");
    db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Unconfirmed callback', 'KE')")
        .bind("id", merchant).then().block(WAIT);
    SimulationPayments.Answer answer = SimulationPayments.create(gateway.context(), merchant, Ids.next("key"), """
        {"amount": 15000, "currency": "KES", "payment_method": {"type": "mobile_money", "operator": "mpesa",
         "msisdn": "+254708374149"}}""").block(WAIT);
    assertThat(answer.body()).contains("\"status\":\"pending\"");
    String paymentId = answer.body().replaceAll(".*\"id\":\"(pay_[0-9a-f]+)\".*", "$1");

    long row = SimulationCallbacks.receive(gateway.context(), SimulationInstance.MPESA, null,
        ScriptedRail.callbackBody(reference, 0, 15_000, "+254708374149")).block(WAIT);
    int maxAttempts = 4; // malipo.callbacks.max-attempts of the simulation instance
    for (int pass = 0; pass < maxAttempts + 3; pass++) {
      db.sql("UPDATE inbox SET next_attempt_at = now() WHERE id = :id").bind("id", row).then().block(WAIT);
      SimulationCallbacks.drain(gateway.context()).block(WAIT);
    }

    Map<String, Object> still = inbox(row);
    assertThat(queries.get()).as("status queries, one per processing").isEqualTo(maxAttempts + 3);
    assertThat(still.get("verdict")).as("re-checked within the window, not orphaned").isNull();
    assertThat(still.get("verdict_detail")).isEqualTo("not yet confirmed by the rail");

    // The window passes with the rail still silent: an operator exception, the money in suspense.
    db.sql("UPDATE inbox SET received_at = received_at - interval '25 hours', next_attempt_at = now() WHERE id = :id")
        .bind("id", row).then().block(WAIT);
    SimulationCallbacks.drain(gateway.context()).block(WAIT);
    Map<String, Object> decided = inbox(row);
    assertThat(decided.get("verdict")).isEqualTo("rejected");
    assertThat((String) decided.get("verdict_detail")).contains("operator exception opened");
    assertThat(db.sql("""
            SELECT count(*) FROM payment_exceptions x JOIN journal_entries e ON e.id = x.suspense_entry
            WHERE x.payment_id = :id AND x.kind = 'unconfirmed_success' AND x.resolved_at IS NULL AND e.kind = 'suspense'""")
        .bind("id", paymentId).map(r -> r.get(0, Long.class)).one().block(WAIT)).isEqualTo(1);
  }

  private Map<String, Object> inbox(long row) {
    return db.sql("SELECT verdict, verdict_detail FROM inbox WHERE id = :id").bind("id", row).fetch().one().block(WAIT);
  }
}
