package org.malipo.gateway.webhook;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import org.springframework.stereotype.Component;

/**
 * Generates endpoint signing secrets: {@code whsec_} and 32 random bytes (256 bits, the
 * HMAC-SHA256 key size recommended by RFC 2104 §3) in unpadded base64url.
 *
 * <p>A NIST SP 800-90A DRBG seeded once at start-up: {@code new SecureRandom()} reads
 * {@code /dev/urandom} on refills, a blocking call on the event loop.
 */
@Component
final class WebhookSecrets {

  private static final int SECRET_BYTES = 32;

  private final SecureRandom random;

  WebhookSecrets() {
    try {
      this.random = SecureRandom.getInstance("DRBG");
      this.random.nextBytes(new byte[SECRET_BYTES]);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no DRBG SecureRandom", e);
    }
  }

  /** A new secret, {@code whsec_} followed by 43 base64url characters. */
  String next() {
    byte[] bytes = new byte[SECRET_BYTES];
    random.nextBytes(bytes);
    return "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
