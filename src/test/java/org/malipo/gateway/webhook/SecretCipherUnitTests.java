package org.malipo.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AES-256-GCM of webhook signing secrets: round trip, binding to the endpoint, key rotation, bad keys. */
class SecretCipherUnitTests {

  private static final String K1 = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
  private static final String K2 = Base64.getEncoder().encodeToString("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII));

  private static SecretCipher cipher(String active, Map<String, String> keys) {
    return new SecretCipher(new SecretEncryptionProperties(keys, active));
  }

  @Test
  void encryptsUnderTheActiveKeyAndDecryptsBack() {
    SecretCipher cipher = cipher("k1", Map.of("k1", K1));

    SecretCipher.Sealed sealed = cipher.seal("whe_1", "whsec_abc");

    assertThat(sealed.keyId()).isEqualTo("k1");
    assertThat(new String(sealed.ciphertext(), StandardCharsets.ISO_8859_1)).doesNotContain("whsec_abc");
    assertThat(sealed.ciphertext()).hasSize(12 + "whsec_abc".length() + 16);
    assertThat(cipher.open("whe_1", sealed.ciphertext(), "k1")).isEqualTo("whsec_abc");
    assertThat(cipher.seal("whe_1", "whsec_abc").ciphertext()).as("a fresh nonce each time").isNotEqualTo(sealed.ciphertext());
  }

  @Test
  void refusesACiphertextMovedToAnotherEndpointOrAltered() {
    SecretCipher cipher = cipher("k1", Map.of("k1", K1));
    byte[] ciphertext = cipher.seal("whe_1", "whsec_abc").ciphertext();

    assertThatThrownBy(() -> cipher.open("whe_2", ciphertext, "k1"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("whe_2").hasMessageNotContaining("whsec");
    ciphertext[20] ^= 1;
    assertThatThrownBy(() -> cipher.open("whe_1", ciphertext, "k1")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void decryptsUnderEveryListedKeyAndNamesAMissingOne() {
    SecretCipher before = cipher("k1", Map.of("k1", K1));
    SecretCipher.Sealed old = before.seal("whe_1", "whsec_old");
    SecretCipher rotated = cipher("k2", Map.of("k1", K1, "k2", K2));

    assertThat(rotated.seal("whe_1", "whsec_new").keyId()).isEqualTo("k2");
    assertThat(rotated.open("whe_1", old.ciphertext(), "k1")).isEqualTo("whsec_old");
    assertThatThrownBy(() -> cipher("k2", Map.of("k2", K2)).open("whe_1", old.ciphertext(), "k1"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("key k1");
    assertThatThrownBy(() -> rotated.open("whe_1", old.ciphertext(), "k2"))
        .as("the wrong key never yields a secret").isInstanceOf(IllegalStateException.class);
  }

  @Test
  void refusesMissingShortOrMisnamedKeys() {
    assertThatThrownBy(() -> cipher(null, Map.of())).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("malipo.webhooks.secret-encryption.keys");
    assertThatThrownBy(() -> cipher("k9", Map.of("k1", K1))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("active-key");
    assertThatThrownBy(() -> cipher("k1", Map.of("k1", Base64.getEncoder().encodeToString(new byte[16]))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> cipher("k1", Map.of("k1", "not base64!"))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("base64");
    assertThatThrownBy(() -> cipher("K_1", Map.of("K_1", K1))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("[a-z0-9]");
  }
}
