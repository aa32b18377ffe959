package org.malipo.gateway.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogRedactionUnitTests {

  @Test
  void redactsCredentialsSecretsAndLuhnValidCardNumbers() {
    assertThat(LogRedaction.redact("Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig")).isEqualTo("Authorization: [redacted]");
    assertThat(LogRedaction.redact("Basic ZGVtbzpzZWNyZXQ=")).isEqualTo("[redacted]");
    assertThat(LogRedaction.redact("token eyJraWQiOiJrMSJ9.eyJzdWIiOiJjIn0.c2ln end")).isEqualTo("token [redacted] end");
    assertThat(LogRedaction.redact("secret sk_4f8d2a9c1e7b3f6a0d5c")).isEqualTo("secret [redacted]");
    assertThat(LogRedaction.redact("whsec_AbCdEfGhIjKlMn")).isEqualTo("[redacted]");
    assertThat(LogRedaction.redact("grant_type=client_credentials&client_secret=hunter2")).isEqualTo("grant_type=client_credentials&[redacted]");
    assertThat(LogRedaction.redact("pan 4242424242424242.")).isEqualTo("pan [redacted-pan].");
  }

  @Test
  void keepsIdsAmountsAndTimestamps() {
    String line = "payment pay_0193a4b2c1d07e5f amount 150000 at 1767225600123 msisdn +254708374149";
    assertThat(LogRedaction.redact(line)).isEqualTo(line);
  }

  @Test
  void keepsOurIdsWhoseHexHoldsALuhnValidRunButStillRedactsACardNextToThem() {
    String payment = "pay_4242424242424242abcdef0123456789";
    String attempt = "att_4242424242424242abcdef0123456789_1";
    String line = "payment " + payment + ": attempt " + attempt + " answered later";
    assertThat(LogRedaction.redact(line)).isEqualTo(line);
    assertThat(LogRedaction.redact(payment + " card 4242424242424242")).isEqualTo(payment + " card [redacted-pan]");
    assertThat(LogRedaction.redact("x_4242424242424242")).as("not one of our ids").isEqualTo("x_[redacted-pan]");
  }
}
