package org.malipo.gateway.webhook;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.aead.AesGcmKey;
import com.google.crypto.tink.aead.AesGcmParameters;
import com.google.crypto.tink.subtle.AesGcmJce;
import com.google.crypto.tink.util.SecretBytes;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * Encrypts webhook signing secrets at rest with AES-256-GCM through Google Tink's {@link Aead}
 * (random 96-bit nonce per encryption, 128-bit tag; the ciphertext is nonce, then encrypted bytes
 * and tag). The endpoint id is the associated data, so a ciphertext copied onto another endpoint's
 * row does not decrypt. Each ciphertext is stored beside the id of the key that made it, so keys
 * rotate without a flag day (docs/adr/0067-webhook-secrets-encrypted-at-rest.md).
 *
 * <p>CPU only: no I/O when decrypting; encrypting draws its nonce from Tink's {@code SecureRandom},
 * which may read {@code /dev/urandom}, so callers on an event loop move {@link #seal} off it.
 */
@Component
final class SecretCipher {

  private static final Pattern KEY_ID = Pattern.compile("[a-z0-9]{1,16}");
  private static final int KEY_BYTES = 32;

  private final Map<String, Aead> keys;
  private final String activeKeyId;

  /**
   * Builds one AEAD per configured key.
   *
   * @throws IllegalStateException when no key is configured, the active key is not among them, a
   *     key id is not {@code [a-z0-9]{1,16}} or a key is not the base64 of 32 bytes
   */
  SecretCipher(SecretEncryptionProperties properties) {
    if (properties.keys().isEmpty() || properties.activeKey() == null
        || !properties.keys().containsKey(properties.activeKey())) {
      throw new IllegalStateException("set malipo.webhooks.secret-encryption.keys.<id> and .active-key (one of the ids)");
    }
    Map<String, Aead> built = new LinkedHashMap<>();
    properties.keys().forEach((id, key) -> built.put(id, aead(id, key)));
    this.keys = Map.copyOf(built);
    this.activeKeyId = properties.activeKey();
  }

  /**
   * A secret encrypted under the active key.
   *
   * @param ciphertext nonce, encrypted secret and tag
   * @param keyId the id of the key that encrypted it
   */
  record Sealed(byte[] ciphertext, String keyId) {}

  /** The id of the key new secrets are encrypted with. */
  String activeKeyId() {
    return activeKeyId;
  }

  /**
   * Encrypts {@code secret} of endpoint {@code endpointId} under the active key.
   *
   * @throws IllegalStateException if the JCE refuses (never with a key that was accepted at start-up)
   */
  Sealed seal(String endpointId, String secret) {
    try {
      byte[] ciphertext = keys.get(activeKeyId).encrypt(secret.getBytes(StandardCharsets.UTF_8), associatedData(endpointId));
      return new Sealed(ciphertext, activeKeyId);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("could not encrypt the signing secret of " + endpointId, e);
    }
  }

  /**
   * Decrypts a secret stored by {@link #seal}.
   *
   * @throws IllegalStateException naming the endpoint and key id when the key is not configured
   *     (removed too early) or the ciphertext does not verify (altered, or another row's)
   */
  String open(String endpointId, byte[] ciphertext, String keyId) {
    Aead aead = keys.get(keyId);
    if (aead == null) {
      throw new IllegalStateException("the signing secret of " + endpointId + " is encrypted under key " + keyId
          + ", which malipo.webhooks.secret-encryption.keys no longer lists");
    }
    try {
      return new String(aead.decrypt(ciphertext, associatedData(endpointId)), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      // The message of a failed decryption never carries key or plaintext material.
      throw new IllegalStateException("the signing secret of " + endpointId + " does not decrypt under key " + keyId);
    }
  }

  private static byte[] associatedData(String endpointId) {
    return ("malipo.webhook_endpoints.secret:" + endpointId).getBytes(StandardCharsets.UTF_8);
  }

  private static Aead aead(String id, String base64) {
    String property = "malipo.webhooks.secret-encryption.keys." + id;
    if (!KEY_ID.matcher(id).matches()) {
      throw new IllegalStateException(property + ": a key id is [a-z0-9]{1,16}");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(base64 == null ? "" : base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(property + " is not base64");
    }
    if (bytes.length != KEY_BYTES) {
      throw new IllegalStateException(property + " must be the base64 of " + KEY_BYTES + " bytes, not " + bytes.length);
    }
    try {
      AesGcmParameters parameters = AesGcmParameters.builder()
          .setKeySizeBytes(KEY_BYTES)
          .setIvSizeBytes(12)
          .setTagSizeBytes(16)
          // The key id lives in its own column, not as a prefix of the ciphertext.
          .setVariant(AesGcmParameters.Variant.NO_PREFIX)
          .build();
      AesGcmKey key = AesGcmKey.builder()
          .setParameters(parameters)
          .setKeyBytes(SecretBytes.copyFrom(bytes, InsecureSecretKeyAccess.get()))
          .build();
      return AesGcmJce.create(key);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(property + " is not a usable AES-256-GCM key", e);
    }
  }
}
