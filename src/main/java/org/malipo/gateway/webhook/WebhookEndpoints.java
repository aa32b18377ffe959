package org.malipo.gateway.webhook;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.malipo.gateway.common.Ids;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Table {@code webhook_endpoints}: every query is scoped to one merchant (INVARIANTS.md 18).
 * Deleted endpoints are kept (their deliveries refer to them) but invisible.
 *
 * <p>Signing secrets are stored encrypted ({@link SecretCipher}: {@code secret_ciphertext} and
 * {@code secret_key_id}, the same for the previous secret); a row written before encryption
 * still has the plaintext column until {@link SecretReencryption} encrypts it.
 */
@Component
final class WebhookEndpoints {

  /** How long a rotated-out secret keeps signing alongside the new one. */
  static final Duration ROTATION_OVERLAP = Duration.ofHours(24);

  private final DatabaseClient db;
  private final SecretCipher cipher;

  WebhookEndpoints(DatabaseClient db, SecretCipher cipher) {
    this.db = db;
    this.cipher = cipher;
  }

  /**
   * A stored endpoint; {@code secret} and {@code previousSecret} are HMAC keys, never logged.
   *
   * @param previousSecretExpiresAt null when no rotation is in its overlap
   */
  record Endpoint(String id, String merchantId, String url, List<String> events, boolean enabled,
      String secret, String previousSecret, Instant previousSecretExpiresAt, Instant createdAt, boolean livemode) {

    /** The secrets that sign at {@code now}: current first, then the previous one if still valid. */
    List<String> signingSecrets(Instant now) {
      return previousSecret != null && previousSecretExpiresAt != null && previousSecretExpiresAt.isAfter(now)
          ? List.of(secret, previousSecret) : List.of(secret);
    }

    @Override
    public String toString() {
      return "Endpoint[id=" + id + ", merchantId=" + merchantId + ", url=" + url + ", secrets=<redacted>]";
    }
  }

  /** Inserts a new endpoint with its secret encrypted; {@code id} is {@code whe_…}. */
  Mono<Endpoint> create(String merchantId, boolean livemode, String url, List<String> events, String secret) {
    String id = Ids.next("whe");
    return seal(id, secret)
        .flatMap(sealed -> db.sql("""
                INSERT INTO webhook_endpoints (id, merchant_id, url, events, secret_ciphertext, secret_key_id, livemode)
                VALUES (:id, :merchant, :url, :events, :ciphertext, :keyId, :livemode)""")
            .bind("id", id).bind("merchant", merchantId).bind("url", url).bind("livemode", livemode)
            .bind("events", events.toArray(String[]::new))
            .bind("ciphertext", sealed.ciphertext()).bind("keyId", sealed.keyId())
            .then())
        .then(find(merchantId, livemode, id));
  }

  /** Live endpoints of the merchant. */
  Mono<Long> countLive(String merchantId) {
    return db.sql("SELECT count(*) FROM webhook_endpoints WHERE merchant_id = :merchant AND deleted_at IS NULL")
        .bind("merchant", merchantId).map(row -> row.get(0, Long.class)).one();
  }

  /** The merchant's live (not deleted) endpoint of this mode, or empty (also for another merchant's or mode's id). */
  Mono<Endpoint> find(String merchantId, boolean livemode, String id) {
    return db.sql("SELECT * FROM webhook_endpoints WHERE id = :id AND merchant_id = :merchant AND deleted_at IS NULL"
            + " AND livemode = :livemode")
        .bind("id", id).bind("merchant", merchantId).bind("livemode", livemode)
        .map((row, meta) -> toEndpoint(row))
        .one();
  }

  /** The merchant's live endpoints, newest first, at most {@code limit}. */
  Flux<Endpoint> list(String merchantId, boolean livemode, int limit) {
    return db.sql("""
            SELECT * FROM webhook_endpoints WHERE merchant_id = :merchant AND deleted_at IS NULL AND livemode = :livemode
            ORDER BY id DESC LIMIT :limit""")
        .bind("merchant", merchantId).bind("limit", limit).bind("livemode", livemode)
        .map((row, meta) -> toEndpoint(row))
        .all();
  }

  /**
   * Live, enabled endpoints of any of these merchants, whatever they subscribed to: the webhook
   * fan-out reads them once per consumed batch of events (at most
   * {@code max-endpoints-per-merchant} per merchant).
   */
  Flux<Endpoint> enabled(Collection<String> merchantIds) {
    return db.sql("SELECT * FROM webhook_endpoints WHERE merchant_id = ANY(:merchants) AND deleted_at IS NULL AND enabled")
        .bind("merchants", merchantIds.toArray(String[]::new))
        .map((row, meta) -> toEndpoint(row))
        .all();
  }

  /** Live, enabled endpoints of the merchant subscribed to {@code type}. */
  Flux<Endpoint> subscribed(String merchantId, String type) {
    return db.sql("""
            SELECT * FROM webhook_endpoints WHERE merchant_id = :merchant AND deleted_at IS NULL AND enabled
            AND :type = ANY(events)""")
        .bind("merchant", merchantId).bind("type", type)
        .map((row, meta) -> toEndpoint(row))
        .all();
  }

  /**
   * Deletes the endpoint and cancels its pending deliveries.
   *
   * @return true if it existed
   */
  Mono<Boolean> delete(String merchantId, boolean livemode, String id) {
    return db.sql("""
            UPDATE webhook_endpoints SET deleted_at = now(), enabled = FALSE
            WHERE id = :id AND merchant_id = :merchant AND deleted_at IS NULL AND livemode = :livemode""")
        .bind("id", id).bind("merchant", merchantId).bind("livemode", livemode)
        .fetch().rowsUpdated()
        .flatMap(rows -> rows == 0 ? Mono.just(false)
            : db.sql("UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL, updated_at = now() "
                    + "WHERE endpoint_id = :id AND status = 'pending'")
                .bind("id", id).fetch().rowsUpdated().thenReturn(true));
  }

  /**
   * Replaces the signing secret; the old one keeps signing for {@link #ROTATION_OVERLAP}.
   *
   * @return the endpoint with its new secret, or empty if the merchant has no such endpoint
   */
  Mono<Endpoint> rotate(String merchantId, boolean livemode, String id, String newSecret) {
    // The current secret moves to the previous columns as it is stored: encrypted (with its key
    // id), or in plaintext on a row not yet encrypted, which SecretReencryption then encrypts.
    return seal(id, newSecret)
        .flatMap(sealed -> db.sql("""
                UPDATE webhook_endpoints SET previous_secret = secret,
                    previous_secret_ciphertext = secret_ciphertext, previous_secret_key_id = secret_key_id,
                    secret = NULL, secret_ciphertext = :ciphertext, secret_key_id = :keyId,
                    previous_secret_expires_at = now() + make_interval(secs => :overlap)
                WHERE id = :id AND merchant_id = :merchant AND deleted_at IS NULL AND livemode = :livemode""")
            .bind("ciphertext", sealed.ciphertext()).bind("keyId", sealed.keyId())
            .bind("overlap", (double) ROTATION_OVERLAP.toSeconds())
            .bind("id", id).bind("merchant", merchantId).bind("livemode", livemode)
            .fetch().rowsUpdated())
        .flatMap(rows -> rows == 0 ? Mono.empty() : find(merchantId, livemode, id));
  }

  /**
   * An endpoint from a row with the columns of {@code webhook_endpoints}, its secrets decrypted.
   *
   * @throws IllegalStateException when a secret's key is no longer configured or its ciphertext
   *     does not verify
   */
  Endpoint toEndpoint(io.r2dbc.spi.Readable row) {
    String id = row.get("id", String.class);
    OffsetDateTime expires = row.get("previous_secret_expires_at", OffsetDateTime.class);
    return new Endpoint(
        id,
        row.get("merchant_id", String.class),
        row.get("url", String.class),
        Arrays.asList(row.get("events", String[].class)),
        Boolean.TRUE.equals(row.get("enabled", Boolean.class)),
        secret(id, row, "secret"),
        secret(id, row, "previous_secret"),
        expires == null ? null : expires.toInstant(),
        row.get("created_at", OffsetDateTime.class).toInstant(),
        Boolean.TRUE.equals(row.get("livemode", Boolean.class)));
  }

  /** The secret of column pair {@code column}: decrypted, or the plaintext of a row not yet encrypted. */
  private String secret(String id, io.r2dbc.spi.Readable row, String column) {
    byte[] ciphertext = row.get(column + "_ciphertext", byte[].class);
    if (ciphertext != null) {
      return cipher.open(id, ciphertext, row.get(column + "_key_id", String.class));
    }
    return row.get(column, String.class);
  }

  /**
   * Encrypts off the event loop: the nonce comes from a {@code SecureRandom} that may read
   * {@code /dev/urandom} (a blocking call); creation and rotation are rare, so the hop costs little.
   */
  private Mono<SecretCipher.Sealed> seal(String id, String secret) {
    return Mono.fromCallable(() -> cipher.seal(id, secret)).subscribeOn(Schedulers.boundedElastic());
  }
}
