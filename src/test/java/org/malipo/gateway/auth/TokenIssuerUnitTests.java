package org.malipo.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Tokens from {@link TokenIssuer} have the RFC 9068 shape and pass {@link TokenVerifier}. */
class TokenIssuerUnitTests {

  private static final Instant NOW = Instant.parse("2030-01-01T12:00:00.750Z");
  private static final ECKey KEY = SigningKeys.generate();

  private final AuthProperties properties = AuthProperties.defaults(null);
  private final SigningKeys keys = new SigningKeys(new JWKSet(KEY), null);
  private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
  private final TokenIssuer issuer = new TokenIssuer(properties, keys, clock);

  @Test
  void issuesAnEs256AtJwtWithTheRfc9068Claims() throws Exception {
    TokenIssuer.Issued issued = issuer.issue("cli_a", "mer_a", List.of("payments:write", "payments:read"));

    SignedJWT jwt = SignedJWT.parse(issued.value());
    assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    assertThat(jwt.getHeader().getKeyID()).isEqualTo(KEY.getKeyID());
    assertThat(jwt.getHeader().getType().getType()).isEqualTo("at+jwt");
    JWTClaimsSet claims = jwt.getJWTClaimsSet();
    assertThat(claims.getIssuer()).isEqualTo("https://malipo.local");
    assertThat(claims.getAudience()).containsExactly("malipo-api");
    assertThat(claims.getSubject()).isEqualTo("cli_a");
    assertThat(claims.getStringClaim("client_id")).isEqualTo("cli_a");
    assertThat(claims.getStringClaim("mid")).isEqualTo("mer_a");
    assertThat(claims.getStringClaim("scope")).isEqualTo("payments:write payments:read");
    assertThat(claims.getIssueTime().toInstant()).isEqualTo(Instant.parse("2030-01-01T12:00:00Z"));
    assertThat(claims.getNotBeforeTime()).isEqualTo(claims.getIssueTime());
    assertThat(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant()))
        .isEqualTo(Duration.ofMinutes(15));
    assertThat(claims.getJWTID()).hasSizeGreaterThanOrEqualTo(22);
    assertThat(issued.expiresInSeconds()).isEqualTo(900);
    assertThat(issued.scope()).isEqualTo("payments:write payments:read");
  }

  @Test
  void givesEveryTokenItsOwnJti() throws Exception {
    String a = issuer.issue("cli_a", "mer_a", List.of("admin")).value();
    String b = issuer.issue("cli_a", "mer_a", List.of("admin")).value();

    assertThat(SignedJWT.parse(a).getJWTClaimsSet().getJWTID()).isNotEqualTo(SignedJWT.parse(b).getJWTClaimsSet().getJWTID());
  }

  @Test
  void issuesTokensTheVerifierAccepts() {
    TokenVerifier verifier = new TokenVerifier(properties, keys, clock);

    Principal principal = verifier.verify(issuer.issue("cli_a", "mer_a", List.of("admin")).value());

    assertThat(principal).isEqualTo(new Principal("cli_a", "mer_a", java.util.Set.of("admin")));
  }

  @Test
  void signsAndVerifiesWithoutBlockingOnANonBlockingThread() {
    TokenVerifier verifier = new TokenVerifier(properties, keys, clock);
    Mono<Principal> onParallel = Mono.fromCallable(() -> verifier.verify(issuer.issue("cli_a", "mer_a", List.of("admin")).value()))
        .repeat(20)
        .last()
        .subscribeOn(Schedulers.parallel());

    StepVerifier.create(onParallel)
        .assertNext(principal -> assertThat(principal.merchantId()).isEqualTo("mer_a"))
        .verifyComplete();
  }
}
