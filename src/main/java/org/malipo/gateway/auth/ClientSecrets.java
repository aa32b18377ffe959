package org.malipo.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import org.springframework.stereotype.Component;

/**
 * Client secrets: generation ({@code sk_} + 32 random bytes in unpadded base64url, 256 bits)
 * and storage as {@code SHA-256(salt || UTF-8 secret)} with a 16-byte random salt, compared in
 * constant time. Why a fast hash is enough here: {@code docs/adr/0004-client-secrets.md}.
 *
 * <p>Thread-safe and non-blocking: the generator is a DRBG seeded at construction.
 */
@Component
final class ClientSecrets {

  /** Random bytes in a generated secret. */
  static final int SECRET_BYTES = 32;
  /** Random bytes in a salt. */
  static final int SALT_BYTES = 16;
  /** Prefix of generated secrets, so leaked ones are easy to recognise (secret scanners). */
  static final String PREFIX = "sk_";

  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  private final SecureRandom random = Drbg.seeded();

  /** A salted hash: both parts are stored, in {@code api_clients.secret_salt} and {@code secret_hash}. */
  record Hashed(byte[] salt, byte[] hash) {}

  /** A new secret, {@code sk_} and 43 base64url characters. */
  String newSecret() {
    byte[] bytes = new byte[SECRET_BYTES];
    random.nextBytes(bytes);
    return PREFIX + BASE64URL.encodeToString(bytes);
  }

  /** The salted hash of {@code secret} under a new random salt. */
  Hashed hash(String secret) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    return new Hashed(salt, digest(salt, secret));
  }

  /**
   * Whether {@code secret} hashes to {@code expectedHash} under {@code salt}; constant time in
   * the hash comparison ({@link MessageDigest#isEqual}).
   */
  static boolean matches(String secret, byte[] salt, byte[] expectedHash) {
    return MessageDigest.isEqual(digest(salt, secret), expectedHash);
  }

  static byte[] digest(byte[] salt, String secret) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(salt);
      return sha256.digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
