package org.malipo.gateway.webhook;

import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The keys that encrypt webhook signing secrets at rest ({@code malipo.webhooks.secret-encryption.*};
 * docs/adr/0067-webhook-secrets-encrypted-at-rest.md). No default: the local and test profiles set
 * a public key, every other profile must give its own (config.RequiredSettings).
 *
 * @param keys key id ({@code [a-z0-9]{1,16}}, stored beside each secret) to the key: the base64 of
 *     32 random bytes (AES-256), e.g. {@code openssl rand -base64 32}; every key listed decrypts
 * @param activeKey the id of the key that encrypts new and re-encrypted secrets
 */
@ConfigurationProperties("malipo.webhooks.secret-encryption")
record SecretEncryptionProperties(Map<String, String> keys, String activeKey) {

  SecretEncryptionProperties {
    keys = keys == null ? Map.of() : Map.copyOf(keys);
    activeKey = activeKey == null ? null : activeKey.strip();
  }

  @Override
  public String toString() {
    return "SecretEncryptionProperties[keys=" + keys.keySet() + ", activeKey=" + activeKey + "]";
  }
}
