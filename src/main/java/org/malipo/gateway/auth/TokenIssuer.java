package org.malipo.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Issues JWT access tokens (RFC 9068): JWS header {@code alg: ES256}, {@code kid} of the signing
 * key, {@code typ: at+jwt}; claims {@code iss}, {@code aud}, {@code sub} and {@code client_id}
 * (the client id), {@code mid} (merchant id), {@code scope} (space-separated), {@code iat},
 * {@code nbf}, {@code exp} ({@code iat} + the configured TTL, at most 15 minutes) and a random
 * {@code jti}. Signing is pure CPU: the ECDSA nonce comes from a DRBG seeded at start-up.
 */
@Component
final class TokenIssuer {

  /** RFC 9068 §2.1 media type of JWT access tokens, short form. */
  static final JOSEObjectType AT_JWT = new JOSEObjectType("at+jwt");

  private final AuthProperties properties;
  private final Clock clock;
  private final ECDSASigner signer;
  private final JWSHeader header;
  private final SecureRandom random = Drbg.seeded();

  @Autowired
  TokenIssuer(AuthProperties properties, SigningKeys keys, ObjectProvider<Clock> clock) {
    this(properties, keys, clock.getIfAvailable(Clock::systemUTC));
  }

  TokenIssuer(AuthProperties properties, SigningKeys keys, Clock clock) {
    this.properties = properties;
    this.clock = clock;
    try {
      this.signer = new ECDSASigner(keys.signingKey());
    } catch (JOSEException e) {
      throw new IllegalStateException("the signing key cannot sign ES256", e);
    }
    this.signer.getJCAContext().setSecureRandom(random);
    this.header = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(keys.signingKey().getKeyID()).type(AT_JWT).build();
  }

  /**
   * An issued token.
   *
   * @param value the compact JWS serialisation
   * @param expiresInSeconds lifetime from now, in seconds ({@code expires_in} of RFC 6749 §5.1)
   * @param scope the granted scopes, space-separated
   */
  record Issued(String value, long expiresInSeconds, String scope) {}

  /**
   * Signs a token for a client.
   *
   * @param clientId the client, {@code sub} and {@code client_id}
   * @param merchantId its merchant, {@code mid}
   * @param scopes the granted scopes, non-empty
   */
  Issued issue(String clientId, String merchantId, List<String> scopes) {
    return issue(clientId, merchantId, scopes, false);
  }

  /**
   * Signs a token for a client of one mode.
   *
   * @param livemode the client's mode, claim {@code livemode}
   */
  Issued issue(String clientId, String merchantId, List<String> scopes, boolean livemode) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    long ttl = properties.tokenTtl().toSeconds();
    String scope = String.join(" ", scopes);
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(properties.issuer())
        .audience(properties.audience())
        .subject(clientId)
        .claim("client_id", clientId)
        .claim("mid", merchantId)
        .claim("scope", scope)
        .claim("livemode", livemode)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(ttl)))
        .jwtID(newJti())
        .build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("ES256 signing failed", e);
    }
    return new Issued(jwt.serialize(), ttl, scope);
  }

  private String newJti() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
