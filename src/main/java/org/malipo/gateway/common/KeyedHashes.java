package org.malipo.gateway.common;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Keyed hashes (HMAC-SHA256) of values that must never be stored in clear: card numbers (the card
 * fingerprint) and request bodies that contain them (idempotency fingerprints). The key comes
 * from {@code malipo.cards.fingerprint-key}.
 */
@Component
public final class KeyedHashes {

  private final ThreadLocal<Mac> macs;

  public KeyedHashes(@Value("${malipo.cards.fingerprint-key}") String key) {
    if (key == null || key.length() < 16) {
      throw new IllegalStateException("malipo.cards.fingerprint-key must be at least 16 characters");
    }
    SecretKeySpec spec = new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(spec);
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 unavailable", e);
      }
    });
  }

  /**
   * The keyed hash of {@code value}.
   *
   * @return 64 lower-case hex digits
   */
  public String of(String value) {
    Mac mac = macs.get();
    return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
  }
}
