package org.malipo.gateway.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimNames;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Verifies access tokens and turns them into {@link Principal}s, following RFC 8725 (JWT best
 * current practice) and RFC 9068 §4:
 *
 * <ul>
 *   <li>at most {@value #MAX_TOKEN_CHARS} characters, compact JWS only;</li>
 *   <li>{@code alg} pinned to ES256 ({@code none}, HMAC and RSA refused before any key is used);</li>
 *   <li>{@code typ} must be {@code at+jwt} (or {@code application/at+jwt});</li>
 *   <li>the {@code kid} must name one of our keys; headers that carry or point to keys
 *       ({@code jwk}, {@code jku}, {@code x5u}, {@code x5c}) are refused, never followed;</li>
 *   <li>{@code iss} must be ours, {@code aud} must contain ours, {@code exp} and {@code nbf}
 *       hold within the configured clock skew, and {@code sub}, {@code mid}, {@code scope},
 *       {@code iat}, {@code exp}, {@code jti} are present.</li>
 * </ul>
 *
 * <p>Pure CPU, safe on an event loop. Verified tokens are cached (Caffeine, at most
 * {@value #CACHE_SIZE}, keyed by the token's SHA-256, each until its {@code exp}), so a repeat
 * costs a hash and a lookup.
 */
@Component
final class TokenVerifier {

  /** Longest token looked at (8 KiB); ours are well under 1 KiB. */
  static final int MAX_TOKEN_CHARS = 8 * 1024;
  static final int CACHE_SIZE = 100_000;

  private static final Set<String> REQUIRED_CLAIMS = Set.of(JWTClaimNames.ISSUER, JWTClaimNames.AUDIENCE,
      JWTClaimNames.SUBJECT, JWTClaimNames.EXPIRATION_TIME, JWTClaimNames.ISSUED_AT, JWTClaimNames.JWT_ID,
      "mid", "scope");
  private static final Set<JOSEObjectType> ACCEPTED_TYPES =
      Set.of(TokenIssuer.AT_JWT, new JOSEObjectType("application/at+jwt"));

  private final SigningKeys keys;
  private final Clock clock;
  private final Duration clockSkew;
  private final DefaultJWTClaimsVerifier<SecurityContext> claimsVerifier;
  private final Cache<String, Verified> cache;

  private record Verified(Principal principal, Instant expiresAt) {}

  @Autowired
  TokenVerifier(AuthProperties properties, SigningKeys keys, ObjectProvider<Clock> clock) {
    this(properties, keys, clock.getIfAvailable(Clock::systemUTC));
  }

  TokenVerifier(AuthProperties properties, SigningKeys keys, Clock clock) {
    this.keys = keys;
    this.clock = clock;
    this.clockSkew = properties.clockSkew();
    this.claimsVerifier = new DefaultJWTClaimsVerifier<>(Set.of(properties.audience()),
        new JWTClaimsSet.Builder().issuer(properties.issuer()).build(), REQUIRED_CLAIMS, Set.of()) {
      @Override
      protected Date currentTime() {
        return Date.from(clock.instant());
      }
    };
    this.claimsVerifier.setMaxClockSkew((int) clockSkew.toSeconds());
    this.cache = Caffeine.newBuilder()
        .maximumSize(CACHE_SIZE)
        .expireAfter(Expiry.creating((String key, Verified value) -> until(value.expiresAt())))
        .recordStats()
        .build();
  }

  /**
   * Verifies {@code token}.
   *
   * @param token the compact JWS from {@code Authorization: Bearer}
   * @return the caller
   * @throws ApiProblem {@code 401 invalid_token} with {@code WWW-Authenticate: Bearer
   *     error="invalid_token"}, whatever the reason (the detail names it)
   */
  Principal verify(String token) {
    if (token.length() > MAX_TOKEN_CHARS) {
      throw invalid("The access token is longer than " + MAX_TOKEN_CHARS + " characters.");
    }
    String key = sha256(token);
    Verified cached = cache.getIfPresent(key);
    if (cached != null) {
      return cached.principal();
    }
    Verified verified = verifyUncached(token);
    cache.put(key, verified);
    return verified.principal();
  }

  /** Cache hits so far (tests and diagnostics). */
  long cacheHits() {
    return cache.stats().hitCount();
  }

  private Verified verifyUncached(String token) {
    SignedJWT jwt;
    try {
      jwt = SignedJWT.parse(token);
    } catch (ParseException e) {
      throw invalid("The access token is not a signed JWT.");
    }
    JWSHeader header = jwt.getHeader();
    if (!JWSAlgorithm.ES256.equals(header.getAlgorithm())) {
      throw invalid("The access token must be signed with ES256.");
    }
    if (header.getJWK() != null || header.getJWKURL() != null || header.getX509CertURL() != null
        || header.getX509CertChain() != null) {
      throw invalid("The access token carries a key or key location in its header.");
    }
    if (header.getType() == null || !ACCEPTED_TYPES.contains(header.getType())) {
      throw invalid("The access token's typ must be at+jwt.");
    }
    ECDSAVerifier verifier = keys.verifier(header.getKeyID());
    if (verifier == null) {
      throw invalid("The access token's kid is not one of our keys.");
    }
    try {
      if (!jwt.verify(verifier)) {
        throw invalid("The access token's signature is not valid.");
      }
    } catch (JOSEException e) {
      throw invalid("The access token's signature is not valid.");
    }
    return claims(jwt);
  }

  private Verified claims(SignedJWT jwt) {
    JWTClaimsSet claims;
    String subject;
    String merchantId;
    String scope;
    Boolean livemode;
    try {
      claims = jwt.getJWTClaimsSet();
      claimsVerifier.verify(claims, null);
      subject = claims.getSubject();
      merchantId = claims.getStringClaim("mid");
      scope = claims.getStringClaim("scope");
      // Tokens without the claim (issued before test and live mode) are test: never live.
      livemode = claims.getBooleanClaim("livemode");
    } catch (BadJWTException e) {
      throw invalid(reason(e));
    } catch (ParseException e) {
      throw invalid("The access token's claims are malformed.");
    }
    if (subject.isBlank() || merchantId == null || merchantId.isBlank() || scope == null) {
      throw invalid("The access token lacks a subject, merchant or scope.");
    }
    Set<String> scopes = new LinkedHashSet<>();
    for (String s : scope.split(" ")) {
      if (!s.isEmpty()) {
        scopes.add(s);
      }
    }
    return new Verified(new Principal(subject, merchantId, scopes, Boolean.TRUE.equals(livemode), false), claims.getExpirationTime().toInstant());
  }

  /** A detail that names the failed check without echoing claim values. */
  private String reason(BadJWTException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    if (message.startsWith("Expired")) {
      return "The access token has expired.";
    }
    if (message.contains("before use time")) {
      return "The access token is not valid yet.";
    }
    if (message.startsWith("JWT missing required")) {
      return "The access token lacks required claims.";
    }
    if (message.contains("aud claim")) {
      return "The access token is not meant for this API (aud).";
    }
    if (message.contains("iss claim")) {
      return "The access token was not issued by this gateway (iss).";
    }
    return "The access token's claims are not acceptable.";
  }

  private Duration until(Instant expiresAt) {
    Duration left = Duration.between(clock.instant(), expiresAt);
    return left.isNegative() ? Duration.ZERO : left;
  }

  private static String sha256(String token) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  static ApiProblem invalid(String detail) {
    return ApiProblem.of(ProblemCode.INVALID_TOKEN, detail)
        .withHeaders(Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\""));
  }
}
