package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.sandbox.SandboxFaults;
import org.malipo.gateway.sandbox.SandboxServer;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * {@code malipo.payments.own_time} (docs/adr/0064-fixed-in-flight-ceiling.md): a payment's time in
 * the gateway without its rail calls. With both sandbox acquirers slowed by 1.5 s, the payment
 * takes longer than that but its own time does not; a replay of its idempotency key never reached a
 * rail and is no sample.
 */
class PaymentOwnTimeIntegrationTests extends IntegrationTest {

  private static final Duration ACQUIRER_DELAY = Duration.ofMillis(1_500);
  private static final String CARD_PAYMENT = """
      {"amount": 1000, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
       "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired SandboxServer sandbox;
  @Autowired MeterRegistry meters;

  @AfterEach
  void clearFaults() {
    sandbox.faults().clear();
  }

  @Test
  void aPaymentsOwnTimeLeavesOutTheTimeItsAcquirerTookAndAReplayIsNoSample() {
    TestMerchants.TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    SandboxFaults.Fault slow = new SandboxFaults.Fault(ACQUIRER_DELAY, false);
    sandbox.faults().set("acquirer_a", slow);
    sandbox.faults().set("acquirer_b", slow);
    Timer ownTime = meters.get("malipo.payments.own_time").timer();
    long samplesBefore = ownTime.count();
    double ownMsBefore = ownTime.totalTime(TimeUnit.MILLISECONDS);
    String key = UUID.randomUUID().toString();
    long started = System.nanoTime();

    pay(merchant, key).expectStatus().isCreated().expectBody().jsonPath("$.status").isEqualTo("succeeded");

    assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the payment waited for its acquirer")
        .isGreaterThanOrEqualTo(ACQUIRER_DELAY);
    assertThat(ownTime.count() - samplesBefore).as("samples").isEqualTo(1);
    assertThat(ownTime.totalTime(TimeUnit.MILLISECONDS) - ownMsBefore).as("own time, ms")
        .isPositive().isLessThan(ACQUIRER_DELAY.toMillis());

    pay(merchant, key).expectStatus().isCreated().expectHeader().valueEquals("Idempotent-Replayed", "true");
    assertThat(ownTime.count() - samplesBefore).as("samples after the replay").isEqualTo(1);
  }

  private WebTestClient.ResponseSpec pay(TestMerchants.TestMerchant merchant, String idempotencyKey) {
    return web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", idempotencyKey).contentType(MediaType.APPLICATION_JSON).bodyValue(CARD_PAYMENT)
        .exchange();
  }
}
