package org.malipo.gateway.auth;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Configuration of token issuance and verification, {@code malipo.auth.*}. Invalid values fail
 * the start-up.
 *
 * @param issuer the {@code iss} of issued tokens and the only one accepted
 * @param audience the {@code aud} of issued tokens; accepted tokens must contain it
 * @param tokenTtl lifetime of an access token, at most 15 minutes
 * @param clockSkew tolerance on {@code exp} and {@code nbf} when verifying, at most 5 minutes
 * @param jwkSet a JWK Set (RFC 7517 §5) as JSON text with the EC P-256 private signing keys
 * @param jwkSetFile path of a file holding such a JWK Set; exclusive with {@code jwkSet}
 * @param activeKid the {@code kid} of the key that signs; blank means the first key of the set
 */
@ConfigurationProperties("malipo.auth")
record AuthProperties(
    @DefaultValue("https://malipo.local") String issuer,
    @DefaultValue("malipo-api") String audience,
    @DefaultValue("15m") Duration tokenTtl,
    @DefaultValue("30s") Duration clockSkew,
    String jwkSet,
    String jwkSetFile,
    String activeKid) {

  /** Longest access-token lifetime the gateway will issue. */
  static final Duration MAX_TOKEN_TTL = Duration.ofMinutes(15);
  private static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);

  AuthProperties {
    if (issuer == null || issuer.isBlank()) {
      throw new IllegalArgumentException("malipo.auth.issuer must not be blank");
    }
    if (audience == null || audience.isBlank()) {
      throw new IllegalArgumentException("malipo.auth.audience must not be blank");
    }
    if (tokenTtl == null || tokenTtl.compareTo(Duration.ofSeconds(1)) < 0 || tokenTtl.compareTo(MAX_TOKEN_TTL) > 0) {
      throw new IllegalArgumentException("malipo.auth.token-ttl must be between 1s and 15m, got " + tokenTtl);
    }
    if (clockSkew == null || clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
      throw new IllegalArgumentException("malipo.auth.clock-skew must be between 0s and 5m, got " + clockSkew);
    }
    jwkSet = blankToNull(jwkSet);
    jwkSetFile = blankToNull(jwkSetFile);
    activeKid = blankToNull(activeKid);
    if (jwkSet != null && jwkSetFile != null) {
      throw new IllegalArgumentException("set either malipo.auth.jwk-set or malipo.auth.jwk-set-file, not both");
    }
  }

  /** Defaults with the given key material, for tests and tools. */
  static AuthProperties defaults(String jwkSet) {
    return new AuthProperties("https://malipo.local", "malipo-api", MAX_TOKEN_TTL, Duration.ofSeconds(30),
        jwkSet, null, null);
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }
}
