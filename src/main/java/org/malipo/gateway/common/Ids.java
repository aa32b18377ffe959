package org.malipo.gateway.common;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Opaque, prefixed, time-sortable identifiers such as {@code pay_01935c4e9a7b7c3e8f2a0d5b6c7e8f90}.
 *
 * <p>The part after the prefix is a UUIDv7 (RFC 9562 §5.7) in lower-case hex: 48 bits of Unix
 * milliseconds, then random bits, so ids sort by creation time and serve as pagination cursors.
 */
public final class Ids {

  private static final HexFormat HEX = HexFormat.of();

  private Ids() {}

  /**
   * A new id with the given prefix.
   *
   * @param prefix lower-case prefix without the underscore, e.g. {@code "pay"}
   * @return {@code prefix + "_" + 32 hex digits}
   */
  public static String next(String prefix) {
    byte[] bytes = new byte[16];
    // Ids are not secrets (authorization guards every read), so a fast non-blocking generator is
    // enough; SecureRandom may read /dev/urandom on the event loop.
    ThreadLocalRandom.current().nextBytes(bytes);
    long millis = System.currentTimeMillis();
    for (int i = 0; i < 6; i++) {
      bytes[i] = (byte) (millis >>> (40 - 8 * i));
    }
    bytes[6] = (byte) ((bytes[6] & 0x0f) | 0x70); // version 7
    bytes[8] = (byte) ((bytes[8] & 0x3f) | 0x80); // IETF variant
    return prefix + "_" + HEX.formatHex(bytes);
  }

  /**
   * Whether {@code id} has the shape of an id with this prefix (it may still not exist).
   *
   * @param prefix the expected prefix, e.g. {@code "pay"}
   * @param id the candidate, may be null
   */
  public static boolean looksLike(String prefix, String id) {
    if (id == null || id.length() != prefix.length() + 33 || !id.startsWith(prefix + "_")) {
      return false;
    }
    for (int i = prefix.length() + 1; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }
}
