package org.malipo.gateway.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.MobileMoneyPayer;
import org.malipo.gateway.rail.PaymentInstrument;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.RailRequest;
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import org.malipo.gateway.rail.airtel.AirtelRail;
import org.malipo.gateway.rail.flutterwave.FlutterwaveRail;
import org.malipo.gateway.rail.orange.OrangeRail;
import org.malipo.gateway.rail.paystack.PaystackRail;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Issue 22's simulators over HTTP with the real adapters against them (no Spring): each test
 * number and card gets its stated answer, first synchronously, then from the status query once the
 * simulated customer has acted; wrong credentials are refused the way each rail refuses them.
 */
class RegionalSimulatorsTests {

  private static final Duration VERIFY = Duration.ofSeconds(10);
  private static final Duration DELAY = Duration.ofMillis(200);

  private SandboxServer sandbox;

  @BeforeEach
  void start() {
    sandbox = new SandboxServer(new SandboxProperties(true, 0, null, null, DELAY, null, null));
  }

  @AfterEach
  void stop() {
    sandbox.close();
  }

  private static RailRequest request(String attemptId, PaymentInstrument instrument, long amountMinor, CurrencyUnit currency) {
    return new RailRequest("pay_" + attemptId, attemptId, "mer_1", new Money(amountMinor, currency), instrument, "order-1");
  }

  private static MobileMoneyPayer wallet(MobileMoneyOperator operator, String msisdn) {
    return new MobileMoneyPayer(operator, msisdn);
  }

  /** The status of {@code reference} once the simulated customer has acted. */
  private static RailOutcome settled(Mono<RailOutcome> query) {
    return Mono.delay(DELAY.plusMillis(100)).then(query).block(VERIFY);
  }

  @Test
  void airtelNumbersGetTheirOutcomesAndTheSilentOneTimesOut() {
    AirtelRail airtel = new AirtelRail(WebClient.create(sandbox.baseUrl() + RegionalSimulators.AIRTEL_PATH), RegionalSimulators.AIRTEL_CLIENT_ID,
        RegionalSimulators.AIRTEL_CLIENT_SECRET, Clock.systemUTC());

    String[][] cases = {{"+254733000000", "KES", "15000"}, {"+254733000001", "KES", "15000"},
        {"+254733000003", "KES", "15000"}, {"+256750000000", "UGX", "5000"}};
    String[] references = new String[cases.length];
    for (int i = 0; i < cases.length; i++) {
      RailOutcome pushed = airtel.authorize(request("att_airtel_" + i, wallet(MobileMoneyOperator.AIRTEL, cases[i][0]),
          Long.parseLong(cases[i][2]), CurrencyUnit.valueOf(cases[i][1]))).block(VERIFY);
      assertThat(pushed).isInstanceOf(RailOutcome.Pending.class);
      references[i] = ((RailOutcome.Pending) pushed).railReference();
      assertThat(airtel.queryStatus(references[i]).block(VERIFY)).as("before the customer acts")
          .isInstanceOf(RailOutcome.Pending.class);
    }
    assertThat(settled(airtel.queryStatus(references[0]))).isInstanceOf(RailOutcome.Approved.class);
    assertThat(settled(airtel.queryStatus(references[1])))
        .isInstanceOfSatisfying(RailOutcome.Declined.class, d -> assertThat(d.failureCode()).isEqualTo("customer_cancelled"));
    assertThat(settled(airtel.queryStatus(references[2])))
        .isInstanceOfSatisfying(RailOutcome.Declined.class, d -> assertThat(d.failureCode()).isEqualTo("timeout"));
    assertThat(settled(airtel.queryStatus(references[3]))).isInstanceOf(RailOutcome.Approved.class);
  }

  @Test
  void airtelRefusesWrongCredentialsSoNothingIsCharged() {
    AirtelRail wrong = new AirtelRail(WebClient.create(sandbox.baseUrl() + RegionalSimulators.AIRTEL_PATH), "wrong", "wrong", Clock.systemUTC());
    wrong.authorize(request("att_airtel_x", wallet(MobileMoneyOperator.AIRTEL, "+254733000000"), 15_000, CurrencyUnit.KES))
        .as(StepVerifier::create)
        .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("token request answered HTTP 401"))
        .verify(VERIFY);
  }

  @Test
  void orangeNumbersGetTheirOutcomes() {
    OrangeRail orange = new OrangeRail(WebClient.create(sandbox.baseUrl() + RegionalSimulators.ORANGE_PATH), RegionalSimulators.ORANGE_CLIENT_ID,
        RegionalSimulators.ORANGE_CLIENT_SECRET, RegionalSimulators.ORANGE_AUTH_TOKEN, RegionalSimulators.ORANGE_CHANNEL_USER_MSISDN,
        RegionalSimulators.ORANGE_PIN, (operator, ref) -> "http://127.0.0.1:1/unused?ref=" + ref, Clock.systemUTC());

    String ok = pending(orange.authorize(request("att_or_1", wallet(MobileMoneyOperator.ORANGE, "+2250707000000"), 5_000, CurrencyUnit.XOF)));
    String poor = pending(orange.authorize(request("att_or_2", wallet(MobileMoneyOperator.ORANGE, "+2250707000001"), 5_000, CurrencyUnit.XOF)));
    String senegal = pending(orange.authorize(request("att_or_3", wallet(MobileMoneyOperator.ORANGE, "+221770000000"), 5_000, CurrencyUnit.XOF)));

    assertThat(settled(orange.queryStatus(ok))).isInstanceOf(RailOutcome.Approved.class);
    assertThat(settled(orange.queryStatus(poor)))
        .isInstanceOfSatisfying(RailOutcome.Declined.class, d -> assertThat(d.failureCode()).isEqualTo("insufficient_funds"));
    assertThat(settled(orange.queryStatus(senegal))).isInstanceOf(RailOutcome.Approved.class);
  }

  @Test
  void paystackCardsWalletsAndRefunds() {
    PaystackRail paystack = new PaystackRail(WebClient.create(sandbox.baseUrl() + RegionalSimulators.PAYSTACK_PATH), RegionalSimulators.PAYSTACK_SECRET_KEY);
    CardData good = new CardData("4084084084084081", 12, 2030, "408");
    CardData bad = new CardData("4084080000005408", 12, 2030, "408");

    assertThat(paystack.authorize(request("att_ps_1", good, 250_000, CurrencyUnit.NGN)).block(VERIFY))
        .isInstanceOf(RailOutcome.Approved.class);
    assertThat(paystack.authorize(request("att_ps_2", bad, 250_000, CurrencyUnit.NGN)).block(VERIFY))
        .isInstanceOfSatisfying(RailOutcome.Declined.class, d -> assertThat(d.failureCode()).isEqualTo("card_declined"));
    assertThat(paystack.authorize(request("att_ps_1", good, 250_000, CurrencyUnit.NGN)).block(VERIFY))
        .as("a reused reference is never a second charge").isInstanceOf(RailOutcome.Unknown.class);

    String telecel = pending(paystack.authorize(request("att_ps_3", wallet(MobileMoneyOperator.TELECEL, "+233200000000"), 1_000, CurrencyUnit.GHS)));
    String cancelled = pending(paystack.authorize(request("att_ps_4", wallet(MobileMoneyOperator.TELECEL, "+233200000001"), 1_000, CurrencyUnit.GHS)));
    String mtn = pending(paystack.authorize(request("att_ps_5", wallet(MobileMoneyOperator.MTN_MOMO, "+233240000000"), 1_000, CurrencyUnit.GHS)));
    assertThat(settled(paystack.queryStatus(telecel))).isInstanceOf(RailOutcome.Approved.class);
    assertThat(settled(paystack.queryStatus(cancelled)))
        .isInstanceOfSatisfying(RailOutcome.Declined.class, d -> assertThat(d.failureCode()).isEqualTo("customer_cancelled"));
    assertThat(settled(paystack.queryStatus(mtn))).isInstanceOf(RailOutcome.Approved.class);

    RefundRequest refund = new RefundRequest("ref_1", "pay_att_ps_1", "att_ps_1", new Money(150_000, CurrencyUnit.NGN));
    RefundOutcome first = paystack.refund(refund).block(VERIFY);
    assertThat(first).isInstanceOf(RefundOutcome.Refunded.class);
    assertThat(paystack.refund(refund).block(VERIFY)).as("the same refund again: the first one, not a second")
        .isEqualTo(first);
    RefundRequest tooMuch = new RefundRequest("ref_2", "pay_att_ps_1", "att_ps_1", new Money(150_000, CurrencyUnit.NGN));
    assertThat(paystack.refund(tooMuch).block(VERIFY)).as("more than is left").isInstanceOf(RefundOutcome.Refused.class);
  }

  @Test
  void flutterwaveCardsWalletsAndRefunds() {
    FlutterwaveRail flutterwave = new FlutterwaveRail(WebClient.create(sandbox.baseUrl() + RegionalSimulators.FLUTTERWAVE_PATH),
        RegionalSimulators.FLUTTERWAVE_SECRET_KEY, RegionalSimulators.FLUTTERWAVE_SECRET_HASH, RegionalSimulators.FLUTTERWAVE_ENCRYPTION_KEY);

    RailOutcome card = flutterwave.authorize(request("att_fw_1", new CardData("5531886652142950", 9, 2032, "564"),
        250_000, CurrencyUnit.NGN)).block(VERIFY);
    assertThat(card).isInstanceOf(RailOutcome.Approved.class);
    String ugandan = pending(flutterwave.authorize(request("att_fw_2", wallet(MobileMoneyOperator.AIRTEL, "+256750000000"), 5_000, CurrencyUnit.UGX)));
    String poor = pending(flutterwave.authorize(request("att_fw_3", wallet(MobileMoneyOperator.ORANGE, "+2250707000001"), 5_000, CurrencyUnit.XOF)));
    assertThat(settled(flutterwave.queryStatus(ugandan))).isInstanceOf(RailOutcome.Approved.class);
    assertThat(settled(flutterwave.queryStatus("att_fw_2"))).as("by our reference").isInstanceOf(RailOutcome.Approved.class);
    assertThat(settled(flutterwave.queryStatus(poor)))
        .isInstanceOfSatisfying(RailOutcome.Declined.class, d -> assertThat(d.failureCode()).isEqualTo("insufficient_funds"));

    RefundRequest refund = new RefundRequest("ref_1", "pay_att_fw_1", ((RailOutcome.Approved) card).railReference(),
        new Money(100_050, CurrencyUnit.NGN));
    assertThat(flutterwave.refund(refund).block(VERIFY)).isInstanceOf(RefundOutcome.Refunded.class);
  }

  private static String pending(Mono<RailOutcome> outcome) {
    RailOutcome answer = outcome.block(VERIFY);
    assertThat(answer).isInstanceOf(RailOutcome.Pending.class);
    return ((RailOutcome.Pending) answer).railReference();
  }
}
