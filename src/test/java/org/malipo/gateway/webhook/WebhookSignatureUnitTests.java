package org.malipo.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The {@code Malipo-Signature} scheme, checked against an independent HMAC computation. */
class WebhookSignatureUnitTests {

  private static final String SECRET = "whsec_test_secret";
  private static final byte[] BODY = "{\"id\":\"evt_1\",\"type\":\"payment.succeeded\"}".getBytes(StandardCharsets.UTF_8);
  private static final Instant NOW = Instant.parse("2030-01-01T10:00:00Z");
  private static final Duration TOLERANCE = WebhookSignature.DEFAULT_TOLERANCE;

  private static String hmacHex(String secret, String message) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void signsTimestampDotBodyWithHmacSha256InHex() throws Exception {
    String header = WebhookSignature.header(NOW.getEpochSecond(), BODY, List.of(SECRET));
    String expected = hmacHex(SECRET, NOW.getEpochSecond() + "." + new String(BODY, StandardCharsets.UTF_8));
    assertThat(header).isEqualTo("t=" + NOW.getEpochSecond() + ",v1=" + expected);
  }

  @Test
  void verifiesItsOwnSignatureWithinTheTolerance() {
    String header = WebhookSignature.header(NOW.getEpochSecond(), BODY, List.of(SECRET));
    assertThat(WebhookSignature.verify(header, BODY, SECRET, NOW.plusSeconds(299), TOLERANCE)).isTrue();
    assertThat(WebhookSignature.verify(header, BODY, SECRET, NOW.minusSeconds(299), TOLERANCE)).isTrue();
  }

  @Test
  void refusesAStaleOrFutureTimestamp() {
    String header = WebhookSignature.header(NOW.getEpochSecond(), BODY, List.of(SECRET));
    assertThat(WebhookSignature.verify(header, BODY, SECRET, NOW.plusSeconds(301), TOLERANCE)).isFalse();
    assertThat(WebhookSignature.verify(header, BODY, SECRET, NOW.minusSeconds(301), TOLERANCE)).isFalse();
  }

  @Test
  void refusesATamperedBodyAWrongSecretOrAMovedTimestamp() {
    String header = WebhookSignature.header(NOW.getEpochSecond(), BODY, List.of(SECRET));
    byte[] tampered = new String(BODY, StandardCharsets.UTF_8).replace("evt_1", "evt_2").getBytes(StandardCharsets.UTF_8);
    assertThat(WebhookSignature.verify(header, tampered, SECRET, NOW, TOLERANCE)).isFalse();
    assertThat(WebhookSignature.verify(header, BODY, "whsec_other", NOW, TOLERANCE)).isFalse();
    String moved = header.replace("t=" + NOW.getEpochSecond(), "t=" + (NOW.getEpochSecond() + 1));
    assertThat(WebhookSignature.verify(moved, BODY, SECRET, NOW, TOLERANCE)).isFalse();
  }

  @Test
  void refusesMalformedHeaders() {
    assertThat(WebhookSignature.verify(null, BODY, SECRET, NOW, TOLERANCE)).isFalse();
    assertThat(WebhookSignature.verify("", BODY, SECRET, NOW, TOLERANCE)).isFalse();
    assertThat(WebhookSignature.verify("v1=abcd", BODY, SECRET, NOW, TOLERANCE)).isFalse();
    assertThat(WebhookSignature.verify("t=x,v1=abcd", BODY, SECRET, NOW, TOLERANCE)).isFalse();
    assertThat(WebhookSignature.verify("t=" + NOW.getEpochSecond() + ",v1=not-hex", BODY, SECRET, NOW, TOLERANCE)).isFalse();
  }

  @Test
  void duringRotationEitherSecretVerifies() {
    String header = WebhookSignature.header(NOW.getEpochSecond(), BODY, List.of("whsec_new", "whsec_old"));
    assertThat(header.split(",")).hasSize(3);
    assertThat(WebhookSignature.verify(header, BODY, "whsec_new", NOW, TOLERANCE)).isTrue();
    assertThat(WebhookSignature.verify(header, BODY, "whsec_old", NOW, TOLERANCE)).isTrue();
    assertThat(WebhookSignature.verify(header, BODY, "whsec_other", NOW, TOLERANCE)).isFalse();
  }

  @Test
  void needsAtLeastOneSecret() {
    assertThatThrownBy(() -> WebhookSignature.header(1, BODY, List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rotatedOutSecretStopsSigningAfterItsOverlap() {
    WebhookEndpoints.Endpoint endpoint = new WebhookEndpoints.Endpoint("whe_1", "mer_1", "https://x.test/h",
        List.of("payment.succeeded"), true, "whsec_new", "whsec_old", NOW.plus(WebhookEndpoints.ROTATION_OVERLAP), NOW, false);
    assertThat(endpoint.signingSecrets(NOW.plusSeconds(60))).containsExactly("whsec_new", "whsec_old");
    assertThat(endpoint.signingSecrets(NOW.plus(Duration.ofHours(25)))).containsExactly("whsec_new");
    assertThat(endpoint.toString()).doesNotContain("whsec_");
  }
}
