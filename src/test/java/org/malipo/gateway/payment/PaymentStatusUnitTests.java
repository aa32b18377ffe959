package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PaymentStatusUnitTests {

  @Test
  void finalStatusesHaveNoWayOut() {
    for (PaymentStatus next : PaymentStatus.values()) {
      assertThat(PaymentStatus.SUCCEEDED.canMoveTo(next)).isFalse();
      assertThat(PaymentStatus.FAILED.canMoveTo(next)).isFalse();
    }
    assertThat(PaymentStatus.SUCCEEDED.isFinal()).isTrue();
    assertThat(PaymentStatus.PROCESSING.isFinal()).isFalse();
  }

  @Test
  void processingResolvesToAnOutcome() {
    assertThat(PaymentStatus.PROCESSING.canMoveTo(PaymentStatus.SUCCEEDED)).isTrue();
    assertThat(PaymentStatus.PROCESSING.canMoveTo(PaymentStatus.FAILED)).isTrue();
    assertThat(PaymentStatus.PENDING.canMoveTo(PaymentStatus.PROCESSING)).isFalse();
  }

  @Test
  void derivesAttemptIdsFromThePaymentId() {
    assertThat(PaymentPipeline.attemptId("pay_0123abcd", 2)).isEqualTo("att_0123abcd_2");
    assertThat(Luhn.isValidCardNumber("4242424242424242")).isTrue();
    assertThat(Luhn.isValidCardNumber("4242424242424243")).isFalse();
    assertThat(Luhn.isValidCardNumber("4242 4242 4242 4242")).isFalse();
  }
}
