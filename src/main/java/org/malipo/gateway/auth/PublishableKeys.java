package org.malipo.gateway.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Publishable keys ({@code pk_test_…}, {@code pk_live_…}), table {@code publishable_keys}: the
 * credential a mobile app or the hosted checkout page holds. They are public by design (shipped in
 * apps and pages), so stored in clear; a {@link Principal} made from one is {@link
 * Principal#publishable()} with the one scope {@link Principal#CHECKOUT_CLIENT}, and every route
 * but the client-side checkout routes refuses it (docs/adr/0079-publishable-keys-and-client-secrets.md).
 *
 * <p>Look-ups are cached per instance for {@value #CACHE_SECONDS} s (at most {@value #CACHE_SIZE}
 * keys), so a revoked key stops working within that time on every instance.
 */
@Component
public final class PublishableKeys {

  static final int CACHE_SIZE = 10_000;
  static final int CACHE_SECONDS = 30;
  /** Longest key looked at; ours are 40 characters. */
  static final int MAX_KEY_LENGTH = 128;
  private static final int RANDOM_BYTES = 24;

  private final DatabaseClient db;
  private final SecureRandom random = Drbg.seeded();
  private final Cache<String, Optional<Principal>> cache = Caffeine.newBuilder()
      .maximumSize(CACHE_SIZE).expireAfterWrite(Duration.ofSeconds(CACHE_SECONDS)).build();

  PublishableKeys(DatabaseClient db) {
    this.db = db;
  }

  /**
   * Creates a publishable key for a merchant; joins the caller's transaction.
   *
   * @param livemode the key's mode: {@code pk_live_…} or {@code pk_test_…}
   * @return the key
   */
  public Mono<String> create(String merchantId, boolean livemode) {
    byte[] bytes = new byte[RANDOM_BYTES];
    random.nextBytes(bytes);
    String key = (livemode ? "pk_live_" : "pk_test_") + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    return registerIfAbsent(key, merchantId, livemode).thenReturn(key);
  }

  /**
   * Stores a chosen key unless it exists (the demo merchant's, tests).
   *
   * @return true if stored
   */
  public Mono<Boolean> registerIfAbsent(String key, String merchantId, boolean livemode) {
    return db.sql("INSERT INTO publishable_keys (key, merchant_id, livemode) VALUES (:key, :merchant, :livemode) "
            + "ON CONFLICT (key) DO NOTHING")
        .bind("key", key).bind("merchant", merchantId).bind("livemode", livemode)
        .fetch().rowsUpdated().map(rows -> rows == 1);
  }

  /** Whether a bearer value is shaped like a publishable key (and so is not a JWT). */
  static boolean looksPublishable(String bearer) {
    return bearer.startsWith("pk_test_") || bearer.startsWith("pk_live_");
  }

  /**
   * The principal of an active publishable key.
   *
   * @return the principal (client id = the key), or empty for an unknown or revoked key
   */
  Mono<Principal> authenticate(String key) {
    if (key.length() > MAX_KEY_LENGTH) {
      return Mono.empty();
    }
    Optional<Principal> cached = cache.getIfPresent(key);
    if (cached != null) {
      return Mono.justOrEmpty(cached);
    }
    return db.sql("SELECT merchant_id, livemode FROM publishable_keys WHERE key = :key AND revoked_at IS NULL")
        .bind("key", key)
        .map(row -> new Principal(key, row.get("merchant_id", String.class), Set.of(Principal.CHECKOUT_CLIENT),
            Boolean.TRUE.equals(row.get("livemode", Boolean.class)), true))
        .one()
        .map(Optional::of)
        .defaultIfEmpty(Optional.empty())
        .doOnNext(found -> cache.put(key, found))
        .flatMap(Mono::justOrEmpty);
  }
}
