package org.malipo.gateway.events;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.EventCatalogue;

/** The AsyncAPI catalogue itself: every event type present, and drift from it detected. */
class EventCatalogueUnitTests {

  private static final String SUCCEEDED = """
      {"id":"evt_0193a1b2c3d47e8f9a0b1c2d3e4f5a6b","type":"payment.succeeded",
       "occurred_at":"2030-01-01T10:00:00.123456Z","merchant_id":"mer_1","livemode":false,"sequence":2,
       "data":{"id":"pay_0193a1b2c3d47e8f9a0b1c2d3e4f5a6b","object":"payment","status":"succeeded",
        "amount":1550,"currency":"KES","fee":45,"reference":"order-42","metadata":{"cart":"c-1"},
        "payment_method":{"type":"card","brand":"visa","bin":"424242","last4":"4242"},
        "provider":"acquirer_a","attempts":1,"risk":{"score":5,"decision":"allow","reasons":[]},
        "created_at":"2030-01-01T10:00:00Z","updated_at":"2030-01-01T10:00:00.1Z","livemode":false}}""";

  private final EventCatalogue catalogue = EventCatalogue.load();

  @Test
  void documentsTheTopicAndEveryEventType() {
    assertThat(catalogue.channelAddress()).isEqualTo("malipo.payments.v1");
    assertThat(catalogue.types()).containsExactlyInAnyOrder("payment.created", "payment.pending", "payment.succeeded", "payment.failed",
        "payment.late_funds", "payment.requires_action", "payment.requires_capture", "payment.captured",
        "payment.canceled", "refund.succeeded", "refund.failed", "payout.created", "payout.succeeded", "payout.failed",
        "checkout.session.completed", "checkout.session.expired");
  }

  @Test
  void acceptsAnEventOfTheDocumentedShape() {
    assertThat(catalogue.violations(SUCCEEDED)).isEmpty();
  }

  @Test
  void reportsAnEventWithoutItsSequence() {
    assertThat(catalogue.violations(SUCCEEDED.replace("\"sequence\":2,", ""))).isNotEmpty();
  }

  @Test
  void reportsAFieldTheCatalogueDoesNotDescribe() {
    assertThat(catalogue.violations(SUCCEEDED.replace("\"attempts\":1,", "\"attempts\":1,\"card_number\":\"4242424242424242\","))).isNotEmpty();
    assertThat(catalogue.violations(SUCCEEDED.replace("\"sequence\":2,", "\"sequence\":2,\"extra\":true,"))).isNotEmpty();
  }

  @Test
  void reportsAFractionalOrStringAmount() {
    assertThat(catalogue.violations(SUCCEEDED.replace("\"amount\":1550", "\"amount\":15.5"))).isNotEmpty();
    assertThat(catalogue.violations(SUCCEEDED.replace("\"amount\":1550", "\"amount\":\"1550\""))).isNotEmpty();
  }

  @Test
  void reportsASucceededEventWhosePaymentIsNotSucceeded() {
    assertThat(catalogue.violations(SUCCEEDED.replace("\"status\":\"succeeded\"", "\"status\":\"failed\""))).isNotEmpty();
  }

  @Test
  void reportsAnUndocumentedEventType() {
    assertThat(catalogue.violations(SUCCEEDED.replace("payment.succeeded", "payment.teleported")))
        .singleElement().asString().contains("not in");
  }
}
