package org.malipo.gateway.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.payment.SimulationPayments;
import org.malipo.gateway.rail.AuthorizationOperation;
import org.malipo.gateway.rail.OperationOutcome;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * A capture or cancel whose outcome statement committed but whose answer was lost (the connection
 * dropped after the commit) is retried by the gateway, whose retry then finds the payment already
 * moved: the merchant must get the payment as it now stands (200), not a raw 500. Found by the
 * orchestrator simulation (docs/simulation.md, seed 2: a void with its outcome's answer lost).
 */
class LostCaptureCommitIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final SimulationInstance gateway = SimulationInstance.get();
  private final DatabaseClient db = gateway.db();

  @AfterEach
  void noFaults() {
    gateway.world(null);
    gateway.database().hook(null);
  }

  @Test
  void aCaptureWhoseCommittedOutcomeLostItsAnswerAnswersTheCapturedPayment() {
    assertThat(operateWithLostCommit(true, "{\"amount\": 6000}")).contains("\"status\":\"succeeded\"")
        .contains("\"amount_captured\":6000");
  }

  @Test
  void aCancelWhoseCommittedOutcomeLostItsAnswerAnswersTheCanceledPayment() {
    assertThat(operateWithLostCommit(false, "{}")).contains("\"status\":\"canceled\"");
  }

  private String operateWithLostCommit(boolean capture, String body) {
    AtomicInteger sent = new AtomicInteger();
    gateway.world(new ScriptedRail.World() {
      @Override
      public Mono<RailOutcome> authorize(ScriptedRail rail, RailRequest request, SimTag tag) {
        return Mono.just(new RailOutcome.Approved(rail.name(), "sim-auth-" + request.attemptId(), "00"));
      }

      @Override
      public Mono<RailOutcome> query(ScriptedRail rail, String key, SimTag tag) {
        return Mono.just(new RailOutcome.Unknown(rail.name(), "not asked"));
      }

      @Override
      public Mono<OperationOutcome> operate(ScriptedRail rail, AuthorizationOperation operation, SimTag tag) {
        sent.incrementAndGet();
        return Mono.just(new OperationOutcome.Done(rail.name(), "sim-op-" + operation.operationId(), "00"));
      }
    });
    AtomicInteger outcomes = new AtomicInteger();
    // The capture's (request 1) outcome statement runs and commits, then its answer is lost.
    gateway.database().hook(new FaultyDatabase.Hook() {
      @Override
      public FaultyDatabase.Fault onStatement(SimTag tag, FaultyDatabase.Kind kind, List<Object> binds) {
        return tag.request() == 1 && kind == FaultyDatabase.Kind.OUTCOME && outcomes.getAndIncrement() == 0
            ? FaultyDatabase.Fault.FAIL_AFTER : FaultyDatabase.Fault.NONE;
      }

      @Override
      public boolean commits(SimTag tag) {
        return true;
      }
    });
    String merchant = Ids.next("mer");
    db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Lost capture commit', 'KE')")
        .bind("id", merchant).then().block(WAIT);
    SimulationPayments.Answer held = SimulationPayments.create(gateway.context(), merchant, Ids.next("key"), """
        {"amount": 10000, "currency": "KES", "capture_method": "manual", "payment_method": {"type": "card",
         "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .contextWrite(Context.of(SimTag.class, new SimTag(0, 0, SimTag.CLIENT, false, 0))).block(WAIT);
    assertThat(held.body()).contains("\"status\":\"requires_capture\"");
    String paymentId = held.body().replaceAll(".*\"id\":\"(pay_[0-9a-f]+)\".*", "$1");

    String key = Ids.next("key");
    SimulationPayments.Answer answer = SimulationPayments.operate(gateway.context(), merchant, paymentId, key, capture, body)
        .contextWrite(Context.of(SimTag.class, new SimTag(0, 0, SimTag.CLIENT, false, 1))).block(WAIT);

    assertThat(outcomes.get()).as("the outcome statement was retried after its lost answer").isGreaterThan(1);
    assertThat(sent.get()).as("sent to the acquirer once").isEqualTo(1);
    assertThat(answer.status()).isEqualTo(200);
    // The key was completed by the committed statement: a retry replays the same payment.
    SimulationPayments.Answer replay = SimulationPayments.operate(gateway.context(), merchant, paymentId, key, capture, body)
        .block(WAIT);
    assertThat(replay.replayed()).isTrue();
    assertThat(replay.body()).isEqualTo(answer.body());
    return answer.body();
  }
}
