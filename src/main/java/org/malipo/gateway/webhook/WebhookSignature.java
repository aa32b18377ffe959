package org.malipo.gateway.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code Malipo-Signature} header: {@code t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…]}.
 * Each {@code v1} is HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed with one signing secret (its UTF-8
 * bytes, {@code whsec_} prefix included) over {@code "<t>.<raw body>"}; several {@code v1}
 * appear while a rotated secret is still valid. The scheme is Stripe's, which merchants know.
 */
public final class WebhookSignature {

  /** Name of the header. */
  public static final String HEADER = "Malipo-Signature";
  /** Age of a signature beyond which {@link #verify} refuses it (replay window), 5 minutes. */
  public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

  private static final HexFormat HEX = HexFormat.of();

  private WebhookSignature() {}

  /**
   * The header value for {@code body} signed at {@code timestamp} with every secret given.
   *
   * @param timestampSeconds Unix time in seconds
   * @param body the exact bytes sent
   * @param secrets the current secret first, then any still-valid previous one; at least one
   */
  public static String header(long timestampSeconds, byte[] body, List<String> secrets) {
    if (secrets.isEmpty()) {
      throw new IllegalArgumentException("at least one signing secret is needed");
    }
    StringBuilder header = new StringBuilder("t=").append(timestampSeconds);
    for (String secret : secrets) {
      header.append(",v1=").append(HEX.formatHex(hmac(secret, timestampSeconds, body)));
    }
    return header.toString();
  }

  /**
   * What a merchant does: whether {@code header} carries a {@code v1} made with {@code secret}
   * over {@code body}, with a timestamp at most {@code tolerance} away from {@code now}.
   *
   * @return false for a malformed header, a wrong or missing signature, or a stale timestamp
   */
  public static boolean verify(String header, byte[] body, String secret, Instant now, Duration tolerance) {
    if (header == null) {
      return false;
    }
    Long timestamp = null;
    List<String> signatures = new java.util.ArrayList<>();
    for (String part : header.split(",")) {
      int eq = part.indexOf('=');
      if (eq < 0) {
        return false;
      }
      String key = part.substring(0, eq).trim();
      String value = part.substring(eq + 1).trim();
      if (key.equals("t")) {
        try {
          timestamp = Long.parseLong(value);
        } catch (NumberFormatException e) {
          return false;
        }
      } else if (key.equals("v1")) {
        signatures.add(value);
      }
    }
    if (timestamp == null || Math.abs(now.getEpochSecond() - timestamp) > tolerance.toSeconds()) {
      return false;
    }
    byte[] expected = hmac(secret, timestamp, body);
    for (String signature : signatures) {
      byte[] given;
      try {
        given = HEX.parseHex(signature);
      } catch (IllegalArgumentException e) {
        continue;
      }
      // Constant-time comparison: no timing oracle on the signature.
      if (MessageDigest.isEqual(expected, given)) {
        return true;
      }
    }
    return false;
  }

  private static byte[] hmac(String secret, long timestampSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((timestampSeconds + ".").getBytes(StandardCharsets.US_ASCII));
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is always available", e);
    }
  }
}
