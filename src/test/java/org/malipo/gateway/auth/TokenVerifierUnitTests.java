package org.malipo.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;

/** The RFC 8725 checks of {@link TokenVerifier}, one refusal per test, and its cache. */
class TokenVerifierUnitTests {

  private static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
  private static final ECKey OURS = SigningKeys.generate();
  private static final ECKey ATTACKER = SigningKeys.generate();

  private final TokenVerifier verifier = new TokenVerifier(AuthProperties.defaults(null),
      new SigningKeys(new JWKSet(OURS), null), Clock.fixed(NOW, ZoneOffset.UTC));

  @Test
  void acceptsAGoodToken() {
    Principal principal = verifier.verify(signed(header(), claims().build(), ourSigner()));

    assertThat(principal.clientId()).isEqualTo("cli_test");
    assertThat(principal.merchantId()).isEqualTo("mer_test");
    assertThat(principal.scopes()).containsExactlyInAnyOrder("payments:write", "payments:read");
  }

  @Test
  void servesASecondVerificationFromTheCache() {
    String token = signed(header(), claims().build(), ourSigner());

    Principal first = verifier.verify(token);
    Principal second = verifier.verify(token);

    assertThat(second).isSameAs(first);
    assertThat(verifier.cacheHits()).isEqualTo(1);
  }

  @Test
  void acceptsAnExpiryWithinTheClockSkew() {
    String token = signed(header(), claims().expirationTime(at(-10)).build(), ourSigner());

    assertThat(verifier.verify(token).merchantId()).isEqualTo("mer_test");
  }

  @Test
  void rejectsAlgNone() {
    String token = new PlainJWT(new PlainHeader.Builder().type(TokenIssuer.AT_JWT).build(), claims().build()).serialize();

    assertRejected(token);
  }

  @Test
  void rejectsAlgNoneWithOurKidAndACopiedSignature() {
    String good = signed(header(), claims().build(), ourSigner());
    String[] parts = good.split("\\.");
    String noneHeader = Base64URL.encode("{\"alg\":\"none\",\"kid\":\"" + OURS.getKeyID() + "\",\"typ\":\"at+jwt\"}")
        .toString();

    assertRejected(noneHeader + "." + parts[1] + "." + parts[2]);
  }

  @Test
  void rejectsHs256KeyedWithOurPublicKey() throws JOSEException {
    JWSHeader hs256 = new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(OURS.getKeyID()).type(TokenIssuer.AT_JWT).build();
    MACSigner signer = new MACSigner(OURS.toPublicJWK().toJSONString().getBytes());

    assertRejected(signed(hs256, claims().build(), signer)).hasMessageContaining("ES256");
  }

  @Test
  void rejectsRs256() throws JOSEException {
    var rsa = new RSAKeyGenerator(2048).keyID(OURS.getKeyID()).generate();
    JWSHeader rs256 = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(OURS.getKeyID()).type(TokenIssuer.AT_JWT).build();

    assertRejected(signed(rs256, claims().build(), new RSASSASigner(rsa))).hasMessageContaining("ES256");
  }

  @Test
  void rejectsAnUnknownKid() {
    JWSHeader unknown = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("not-ours").type(TokenIssuer.AT_JWT).build();

    assertRejected(signed(unknown, claims().build(), signer(ATTACKER))).hasMessageContaining("kid");
  }

  @Test
  void rejectsAMissingKid() {
    JWSHeader noKid = new JWSHeader.Builder(JWSAlgorithm.ES256).type(TokenIssuer.AT_JWT).build();

    assertRejected(signed(noKid, claims().build(), ourSigner())).hasMessageContaining("kid");
  }

  @Test
  void rejectsAnEmbeddedJwkHeader() {
    JWSHeader embedded = header(h -> h.jwk(ATTACKER.toPublicJWK()));

    assertRejected(signed(embedded, claims().build(), signer(ATTACKER))).hasMessageContaining("header");
  }

  @Test
  void rejectsAJkuHeaderEvenOnAGoodSignature() {
    JWSHeader jku = header(h -> h.jwkURL(URI.create("https://attacker.example/jwks.json")));

    assertRejected(signed(jku, claims().build(), ourSigner())).hasMessageContaining("header");
  }

  @Test
  void rejectsAnX5uHeaderEvenOnAGoodSignature() {
    JWSHeader x5u = header(h -> h.x509CertURL(URI.create("https://attacker.example/cert.pem")));

    assertRejected(signed(x5u, claims().build(), ourSigner())).hasMessageContaining("header");
  }

  @Test
  void rejectsAnX5cHeaderEvenOnAGoodSignature() {
    JWSHeader x5c = header(h -> h.x509CertChain(List.of(Base64.encode("not really a certificate"))));

    assertRejected(signed(x5c, claims().build(), ourSigner())).hasMessageContaining("header");
  }

  @Test
  void rejectsAnotherTyp() {
    JWSHeader jwt = header(h -> h.type(com.nimbusds.jose.JOSEObjectType.JWT));

    assertRejected(signed(jwt, claims().build(), ourSigner())).hasMessageContaining("typ");
  }

  @Test
  void rejectsATamperedPayload() {
    String good = signed(header(), claims().build(), ourSigner());
    String other = signed(header(), claims().claim("mid", "mer_victim").build(), ourSigner());
    String[] a = good.split("\\.");
    String[] b = other.split("\\.");

    assertRejected(a[0] + "." + b[1] + "." + a[2]).hasMessageContaining("signature");
  }

  @Test
  void rejectsAMissingIss() {
    assertRejected(signed(header(), claims().issuer(null).build(), ourSigner()));
  }

  @Test
  void rejectsAWrongIss() {
    assertRejected(signed(header(), claims().issuer("https://attacker.example").build(), ourSigner()))
        .hasMessageContaining("iss");
  }

  @Test
  void rejectsAWrongAud() {
    assertRejected(signed(header(), claims().audience("another-api").build(), ourSigner()))
        .hasMessageContaining("aud");
  }

  @Test
  void rejectsAMissingAud() {
    assertRejected(signed(header(), claims().audience((String) null).build(), ourSigner()));
  }

  @Test
  void acceptsAnAudienceListContainingOurs() {
    String token = signed(header(), claims().audience(List.of("another-api", "malipo-api")).build(), ourSigner());

    assertThat(verifier.verify(token).clientId()).isEqualTo("cli_test");
  }

  @Test
  void rejectsAnExpiredToken() {
    assertRejected(signed(header(), claims().expirationTime(at(-31)).build(), ourSigner()))
        .hasMessageContaining("expired");
  }

  @Test
  void rejectsANotBeforeInTheFutureBeyondTheSkew() {
    assertRejected(signed(header(), claims().notBeforeTime(at(31)).build(), ourSigner()))
        .hasMessageContaining("not valid yet");
  }

  @Test
  void rejectsATokenLongerThan8KiB() {
    String token = signed(header(), claims().claim("padding", "x".repeat(8 * 1024)).build(), ourSigner());
    assertThat(token.length()).isGreaterThan(8 * 1024);

    assertRejected(token).hasMessageContaining("longer");
  }

  @Test
  void rejectsAMissingMid() {
    assertRejected(signed(header(), claims().claim("mid", null).build(), ourSigner()));
  }

  @Test
  void rejectsAMissingScope() {
    assertRejected(signed(header(), claims().claim("scope", null).build(), ourSigner()));
  }

  @Test
  void rejectsAMissingSub() {
    assertRejected(signed(header(), claims().subject(null).build(), ourSigner()));
  }

  @Test
  void rejectsAMidThatIsNotAString() {
    assertRejected(signed(header(), claims().claim("mid", 42).build(), ourSigner()));
  }

  @Test
  void rejectsGarbage() {
    assertRejected("not-a-jwt");
  }

  @Test
  void verifiesOnlyWithTheKeyNamedByKid() {
    ECKey second = SigningKeys.generate();
    TokenVerifier twoKeys = new TokenVerifier(AuthProperties.defaults(null),
        new SigningKeys(new JWKSet(List.of(OURS, second.toPublicJWK())), null), Clock.fixed(NOW, ZoneOffset.UTC));
    JWSHeader claimsSecond = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(second.getKeyID())
        .type(TokenIssuer.AT_JWT).build();

    assertThat(twoKeys.verify(signed(claimsSecond, claims().build(), signer(second))).scopes())
        .isEqualTo(Set.of("payments:write", "payments:read"));
    assertThatThrownBy(() -> twoKeys.verify(signed(claimsSecond, claims().build(), ourSigner())))
        .isInstanceOf(ApiProblem.class);
  }

  private AbstractThrowableAssert<?, ? extends Throwable> assertRejected(String token) {
    return assertThatThrownBy(() -> verifier.verify(token))
        .isInstanceOfSatisfying(ApiProblem.class, problem -> {
          assertThat(problem.code()).isEqualTo(ProblemCode.INVALID_TOKEN);
          assertThat(problem.headers()).containsEntry("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        });
  }

  private static JWTClaimsSet.Builder claims() {
    return new JWTClaimsSet.Builder()
        .issuer("https://malipo.local")
        .audience("malipo-api")
        .subject("cli_test")
        .claim("mid", "mer_test")
        .claim("scope", "payments:write payments:read")
        .issueTime(at(0))
        .notBeforeTime(at(0))
        .expirationTime(at(600))
        .jwtID("jti-" + System.nanoTime());
  }

  private static Date at(long secondsFromNow) {
    return Date.from(NOW.plusSeconds(secondsFromNow));
  }

  private static JWSHeader header() {
    return header(UnaryOperator.identity());
  }

  private static JWSHeader header(UnaryOperator<JWSHeader.Builder> customizer) {
    return customizer.apply(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(OURS.getKeyID()).type(TokenIssuer.AT_JWT))
        .build();
  }

  private static JWSSigner ourSigner() {
    return signer(OURS);
  }

  private static JWSSigner signer(ECKey key) {
    try {
      return new ECDSASigner(key);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String signed(JWSHeader header, JWTClaimsSet claims, JWSSigner signer) {
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }
}
