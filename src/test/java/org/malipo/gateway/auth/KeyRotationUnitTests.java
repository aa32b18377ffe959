package org.malipo.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;

/**
 * The key rotation sequence of docs/adr/0053-key-rotation-and-client-revocation.md, one gateway
 * configuration per step (each step is a restart or a rolling deployment with a new JWK set):
 * publish the new key, sign with it, keep the old one until its tokens expired, remove it.
 */
class KeyRotationUnitTests {

  private static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
  private static final ECKey OLD = SigningKeys.generate();
  private static final ECKey NEW = SigningKeys.generate();

  private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

  /** One step of the rotation: the configured JWK set and the active kid. */
  private Gateway step(List<com.nimbusds.jose.jwk.JWK> keys, String activeKid) {
    SigningKeys signingKeys = new SigningKeys(new JWKSet(keys), activeKid);
    AuthProperties properties = AuthProperties.defaults(null);
    return new Gateway(new TokenIssuer(properties, signingKeys, clock), new TokenVerifier(properties, signingKeys, clock),
        signingKeys);
  }

  private record Gateway(TokenIssuer issuer, TokenVerifier verifier, SigningKeys keys) {
    String token() {
      return issuer.issue("cli_rot", "mer_rot", List.of("payments:read")).value();
    }
  }

  @Test
  void tokensOfTheOldKeyVerifyAfterTheSwitchAndFailOnceItIsRemoved() throws ParseException {
    Gateway before = step(List.of(OLD), OLD.getKeyID());
    String oldToken = before.token();

    // 1. Publish the new key (public part suffices on verifiers), still signing with the old one.
    Gateway published = step(List.of(OLD, NEW), OLD.getKeyID());
    assertThat(new String(published.keys().publicJwkSetJson())).contains(OLD.getKeyID(), NEW.getKeyID());
    assertThat(kid(published.token())).isEqualTo(OLD.getKeyID());

    // 2. Switch the signer: new tokens carry the new kid, old tokens still verify.
    Gateway switched = step(List.of(OLD.toPublicJWK(), NEW), NEW.getKeyID());
    String newToken = switched.token();
    assertThat(kid(newToken)).isEqualTo(NEW.getKeyID());
    assertThat(switched.verifier().verify(oldToken).clientId()).isEqualTo("cli_rot");
    assertThat(switched.verifier().verify(newToken).clientId()).isEqualTo("cli_rot");
    assertThat(before.verifier().verify(oldToken).clientId()).as("instances not yet rolled keep working")
        .isEqualTo("cli_rot");

    // 3. Remove the old key once its tokens expired: a token it signed is refused, the new one is not.
    Gateway removed = step(List.of(NEW), NEW.getKeyID());
    assertThat(new String(removed.keys().publicJwkSetJson())).doesNotContain(OLD.getKeyID());
    assertThatThrownBy(() -> removed.verifier().verify(oldToken))
        .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.code()).isEqualTo(ProblemCode.INVALID_TOKEN))
        .hasMessageContaining("kid");
    assertThat(removed.verifier().verify(newToken).merchantId()).isEqualTo("mer_rot");
  }

  private static String kid(String token) throws ParseException {
    return SignedJWT.parse(token).getHeader().getKeyID();
  }
}
