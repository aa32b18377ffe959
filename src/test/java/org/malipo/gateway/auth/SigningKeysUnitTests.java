package org.malipo.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.mock.env.MockEnvironment;

/** Loading and publishing of signing keys, and validation of {@link AuthProperties}. */
class SigningKeysUnitTests {

  private static final ECKey FIRST = SigningKeys.generate();
  private static final ECKey SECOND = SigningKeys.generate();

  @Test
  void signsWithTheFirstKeyAndPublishesAllWithoutPrivateParts() {
    String json = new JWKSet(List.of(FIRST, SECOND)).toString(false);

    SigningKeys keys = new SigningKeys(AuthProperties.defaults(json));

    assertThat(keys.signingKey().getKeyID()).isEqualTo(FIRST.getKeyID());
    String published = new String(keys.publicJwkSetJson(), StandardCharsets.UTF_8);
    assertThat(published).contains(FIRST.getKeyID(), SECOND.getKeyID()).doesNotContain("\"d\"");
    assertThat(keys.verifier(SECOND.getKeyID())).isNotNull();
    assertThat(keys.verifier("unknown")).isNull();
  }

  @Test
  void signsWithTheActiveKid() {
    String json = new JWKSet(List.of(FIRST, SECOND)).toString(false);
    AuthProperties properties = new AuthProperties("https://malipo.local", "malipo-api", Duration.ofMinutes(5),
        Duration.ofSeconds(30), json, null, SECOND.getKeyID());

    assertThat(new SigningKeys(properties).signingKey().getKeyID()).isEqualTo(SECOND.getKeyID());
  }

  @Test
  void readsTheJwkSetFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("jwks.json");
    Files.writeString(file, new JWKSet(FIRST).toString(false));
    AuthProperties properties = new AuthProperties("https://malipo.local", "malipo-api", Duration.ofMinutes(5),
        Duration.ofSeconds(30), null, file.toString(), null);

    assertThat(new SigningKeys(properties).signingKey().getKeyID()).isEqualTo(FIRST.getKeyID());
  }

  @Test
  void generatesAnEphemeralKeyWhenNoneIsConfigured() {
    SigningKeys keys = new SigningKeys(AuthProperties.defaults(null));

    assertThat(keys.signingKey().isPrivate()).isTrue();
    assertThat(keys.verifier(keys.signingKey().getKeyID())).isNotNull();
  }

  @Test
  void refusesToStartWithoutConfiguredKeysOutsideTheLocalProfile() {
    MockEnvironment production = new MockEnvironment();
    production.setActiveProfiles("production");
    MockEnvironment local = new MockEnvironment();
    local.setActiveProfiles("local");

    assertThatThrownBy(() -> new SigningKeys(AuthProperties.defaults(null), production))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("jwk-set-file");
    assertThat(new SigningKeys(AuthProperties.defaults(null), local).signingKey().isPrivate()).isTrue();
  }

  @Test
  void refusesAnRsaKey() throws Exception {
    String json = new JWKSet(new RSAKeyGenerator(2048).keyID("rsa").generate()).toString(false);

    assertThatThrownBy(() -> new SigningKeys(AuthProperties.defaults(json)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("P-256");
  }

  @Test
  void refusesAPublicOnlySigningKey() {
    String json = new JWKSet(FIRST.toPublicJWK()).toString(false);

    assertThatThrownBy(() -> new SigningKeys(AuthProperties.defaults(json)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("private");
  }

  @Test
  void refusesAnUnknownActiveKid() {
    String json = new JWKSet(FIRST).toString(false);
    AuthProperties properties = new AuthProperties("https://malipo.local", "malipo-api", Duration.ofMinutes(5),
        Duration.ofSeconds(30), json, null, "nope");

    assertThatThrownBy(() -> new SigningKeys(properties)).hasMessageContaining("nope");
  }

  @Test
  void refusesATokenTtlAboveFifteenMinutes() {
    assertThatThrownBy(() -> new AuthProperties("https://malipo.local", "malipo-api", Duration.ofMinutes(16),
        Duration.ofSeconds(30), null, null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token-ttl");
  }

  @Test
  void refusesBothAJwkSetAndAFile() {
    assertThatThrownBy(() -> new AuthProperties("https://malipo.local", "malipo-api", Duration.ofMinutes(5),
        Duration.ofSeconds(30), "{}", "/tmp/x", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
  }
}
