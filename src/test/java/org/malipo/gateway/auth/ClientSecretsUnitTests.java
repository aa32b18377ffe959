package org.malipo.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Generation and salted hashing of client secrets. */
class ClientSecretsUnitTests {

  private final ClientSecrets secrets = new ClientSecrets();

  @Test
  void generatesSkPrefixed256BitBase64UrlSecrets() {
    String secret = secrets.newSecret();

    assertThat(secret).startsWith("sk_").hasSize(3 + 43).matches("sk_[A-Za-z0-9_-]{43}");
    assertThat(Base64.getUrlDecoder().decode(secret.substring(3))).hasSize(32);
    assertThat(secrets.newSecret()).isNotEqualTo(secret);
  }

  @Test
  void matchesTheHashedSecretOnly() {
    ClientSecrets.Hashed hashed = secrets.hash("sk_right");

    assertThat(ClientSecrets.matches("sk_right", hashed.salt(), hashed.hash())).isTrue();
    assertThat(ClientSecrets.matches("sk_wrong", hashed.salt(), hashed.hash())).isFalse();
    assertThat(hashed.salt()).hasSize(16);
    assertThat(hashed.hash()).hasSize(32);
  }

  @Test
  void saltsEachHashDifferently() {
    ClientSecrets.Hashed a = secrets.hash("sk_same");
    ClientSecrets.Hashed b = secrets.hash("sk_same");

    assertThat(a.salt()).isNotEqualTo(b.salt());
    assertThat(a.hash()).isNotEqualTo(b.hash());
  }

  @Test
  void generatesWithoutBlockingOnANonBlockingThread() {
    Flux<String> onParallel = Flux.range(0, 200)
        .map(i -> secrets.newSecret() + secrets.hash("x").salt().length)
        .subscribeOn(Schedulers.parallel());

    StepVerifier.create(onParallel).expectNextCount(200).verifyComplete();
  }
}
