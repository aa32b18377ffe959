package org.malipo.gateway.auth;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Cryptographically strong random generators that never touch the file system after creation.
 *
 * <p>{@code new SecureRandom()} on Linux is {@code NativePRNG}, which reads {@code /dev/urandom}
 * on every refill: a blocking call on an event-loop thread. A NIST SP 800-90A DRBG reads its
 * entropy source once, when instantiated; this factory forces that instantiation at bean
 * construction (start-up), so later {@code nextBytes} calls are pure CPU.
 */
public final class Drbg {

  private Drbg() {}

  /**
   * A new, already seeded DRBG. Call only at start-up: seeding may read the entropy source.
   *
   * @throws IllegalStateException if the JDK offers no {@code DRBG} (it always does since JDK 9)
   */
  public static SecureRandom seeded() {
    try {
      SecureRandom random = SecureRandom.getInstance("DRBG");
      random.nextBytes(new byte[32]);
      return random;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no DRBG SecureRandom", e);
    }
  }
}
