package org.malipo.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Signing secrets at rest (ADR 0067): never in plaintext in the table, rows written before the
 * encryption migrated by the start-up job, rotation of the encryption key by re-encryption.
 */
class WebhookSecretEncryptionIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired ReactiveTransactionManager transactions;
  @Autowired SecretCipher cipher;
  @Autowired WebhookEndpoints endpoints;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
  }

  private JsonNode register() {
    byte[] answer = web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"url\": \"http://127.0.0.1:9/hook\", \"events\": [\"payment.succeeded\"]}")
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody();
    return json.readTree(answer);
  }

  private Map<String, Object> row(String id) {
    return db.sql("SELECT * FROM webhook_endpoints WHERE id = :id").bind("id", id).fetch().one().block(DB);
  }

  private static byte[] bytes(Object bytea) {
    java.nio.ByteBuffer buffer = ((java.nio.ByteBuffer) bytea).duplicate();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  private WebhookEndpoints.Endpoint stored(String id) {
    return endpoints.find(merchant.merchantId(), false, id).block(DB);
  }

  @Test
  void storesOnlyCiphertextAndTheKeyIdAndSignsWithTheSecretShownOnce() {
    JsonNode endpoint = register();
    String id = endpoint.get("id").asString();
    String secret = endpoint.get("secret").asString();

    Map<String, Object> row = row(id);
    assertThat(row.get("secret")).isNull();
    assertThat(row.get("secret_key_id")).isEqualTo(cipher.activeKeyId());
    byte[] ciphertext = bytes(row.get("secret_ciphertext"));
    assertThat(new String(ciphertext, StandardCharsets.ISO_8859_1)).doesNotContain(secret.substring(6));
    assertThat(stored(id).secret()).isEqualTo(secret);
  }

  @Test
  void rotationKeepsThePreviousSecretEncryptedAndSigningForTheOverlap() {
    JsonNode endpoint = register();
    String id = endpoint.get("id").asString();
    String first = endpoint.get("secret").asString();

    byte[] answer = web.post().uri("/v1/webhook_endpoints/" + id + "/rotate_secret")
        .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk()
        .expectBody().returnResult().getResponseBody();
    String second = json.readTree(answer).get("secret").asString();

    Map<String, Object> row = row(id);
    assertThat(row.get("secret")).isNull();
    assertThat(row.get("previous_secret")).isNull();
    assertThat(row.get("previous_secret_key_id")).isEqualTo(cipher.activeKeyId());
    assertThat(stored(id).signingSecrets(java.time.Instant.now())).containsExactly(second, first);
  }

  @Test
  void encryptsRowsStoredInPlaintextBeforeTheMigration() {
    String id = Ids.next("whe");
    db.sql("""
            INSERT INTO webhook_endpoints (id, merchant_id, url, events, secret, previous_secret, previous_secret_expires_at)
            VALUES (:id, :merchant, 'https://hooks.example.test/a', ARRAY['payment.succeeded'], 'whsec_plain_now',
                    'whsec_plain_before', now() + interval '1 hour')""")
        .bind("id", id).bind("merchant", merchant.merchantId()).then().block(DB);
    assertThat(stored(id).secret()).as("readable before it is encrypted").isEqualTo("whsec_plain_now");

    SecretReencryption job = new SecretReencryption(db, transactions, cipher);
    assertThat(job.run().block(DB)).isGreaterThanOrEqualTo(1);

    Map<String, Object> row = row(id);
    assertThat(row.get("secret")).isNull();
    assertThat(row.get("previous_secret")).isNull();
    assertThat(row.get("secret_key_id")).isEqualTo(cipher.activeKeyId());
    assertThat(stored(id).signingSecrets(java.time.Instant.now())).containsExactly("whsec_plain_now", "whsec_plain_before");
    assertThat(job.run().block(DB)).as("nothing left to do").isZero();
  }

  @Test
  void reencryptsUnderANewActiveKeySoTheOldKeyCanBeDropped() {
    String id = register().get("id").asString();
    String secret = stored(id).secret();
    String local = "bG9jYWwtb25seS13ZWJob29rLXNlY3JldC1rZXktMzI=";
    String fresh = Base64.getEncoder().encodeToString("a-second-key-for-rotation-tests!".getBytes(StandardCharsets.US_ASCII));
    SecretCipher rotated = new SecretCipher(new SecretEncryptionProperties(Map.of("local", local, "k2", fresh), "k2"));

    new SecretReencryption(db, transactions, rotated).run().block(DB);

    assertThat(row(id).get("secret_key_id")).isEqualTo("k2");
    SecretCipher newKeyOnly = new SecretCipher(new SecretEncryptionProperties(Map.of("k2", fresh), "k2"));
    byte[] ciphertext = bytes(row(id).get("secret_ciphertext"));
    assertThat(newKeyOnly.open(id, ciphertext, "k2")).isEqualTo(secret);
    // Back under the suite's key, so the shared context keeps signing for this endpoint.
    new SecretReencryption(db, transactions, new SecretCipher(new SecretEncryptionProperties(
        Map.of("local", local, "k2", fresh), "local"))).run().block(DB);
    assertThat(List.of(row(id).get("secret_key_id"))).containsExactly("local");
  }
}
