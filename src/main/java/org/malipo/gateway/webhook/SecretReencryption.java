package org.malipo.gateway.webhook;

import java.time.Duration;
import java.util.List;
import org.malipo.gateway.common.BackgroundJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Brings every stored webhook signing secret under the active key, once after start-up: rows
 * still in plaintext (written before V20) are encrypted and their plaintext cleared, and rows
 * encrypted under another key (after a key rotation) are re-encrypted. Afterwards the operator may
 * drop the old key (docs/adr/0067-webhook-secrets-encrypted-at-rest.md, docs/webhooks.md).
 *
 * <p>Safe on many instances: each batch of at most {@value #BATCH} rows is claimed with {@code FOR
 * UPDATE SKIP LOCKED} in its own transaction. A row whose key is missing is logged and skipped
 * (the pass walks the table in id order, so it never loops on it). A failed pass is retried
 * after {@link #RETRY}; a complete pass ends the job until the next start.
 */
@Component
final class SecretReencryption extends BackgroundJob {

  static final int BATCH = 100;
  static final Duration RETRY = Duration.ofMinutes(1);

  private static final Logger log = LoggerFactory.getLogger(SecretReencryption.class);

  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final SecretCipher cipher;

  SecretReencryption(DatabaseClient db, ReactiveTransactionManager transactionManager, SecretCipher cipher) {
    this.db = db;
    this.tx = TransactionalOperator.create(transactionManager);
    this.cipher = cipher;
  }

  @Override
  protected Disposable launch() {
    return run()
        .doOnNext(count -> {
          if (count > 0) {
            log.info("webhook signing secrets: {} endpoint(s) brought under key {}", count, cipher.activeKeyId());
          }
        })
        .doOnError(error -> log.warn("webhook secret re-encryption failed, retried in {}: {}", RETRY, error.toString()))
        .retryWhen(Retry.fixedDelay(Long.MAX_VALUE, RETRY))
        .subscribe();
  }

  /**
   * One complete pass over the table.
   *
   * @return how many endpoints were re-encrypted
   */
  Mono<Integer> run() {
    return batchAfter("")
        .expand(batch -> batch.size() < BATCH ? Mono.empty() : batchAfter(batch.lastId()))
        .map(Batch::changed)
        .reduce(0, Integer::sum);
  }

  /** Rows examined after {@code afterId} (their last id) and how many of them changed. */
  record Batch(int size, String lastId, int changed) {}

  private Mono<Batch> batchAfter(String afterId) {
    Mono<Batch> batch = db.sql("""
            SELECT id, secret, secret_ciphertext, secret_key_id,
                   previous_secret, previous_secret_ciphertext, previous_secret_key_id
            FROM webhook_endpoints
            WHERE id > :after
              AND (secret IS NOT NULL OR previous_secret IS NOT NULL
                   OR secret_key_id <> :active OR previous_secret_key_id <> :active)
            ORDER BY id LIMIT :limit
            FOR UPDATE SKIP LOCKED""")
        .bind("after", afterId).bind("active", cipher.activeKeyId()).bind("limit", BATCH)
        .map((row, meta) -> new Stored(row.get("id", String.class),
            row.get("secret", String.class), row.get("secret_ciphertext", byte[].class),
            row.get("secret_key_id", String.class), row.get("previous_secret", String.class),
            row.get("previous_secret_ciphertext", byte[].class), row.get("previous_secret_key_id", String.class)))
        .all()
        .collectList()
        .flatMap(rows -> rows.isEmpty() ? Mono.just(new Batch(0, afterId, 0))
            : Flux.fromIterable(rows)
                .concatMap(this::reencrypt, 1)
                .reduce(0, Integer::sum)
                .map(changed -> new Batch(rows.size(), rows.getLast().id(), changed)));
    return tx.transactional(batch);
  }

  /** One row as stored: each secret in plaintext or as ciphertext with its key id. */
  record Stored(String id, String secret, byte[] secretCiphertext, String secretKeyId, String previousSecret,
      byte[] previousCiphertext, String previousKeyId) {}

  private Mono<Integer> reencrypt(Stored row) {
    return Mono.fromCallable(() -> List.of(
            cipher.seal(row.id(), plain(row.id(), row.secret(), row.secretCiphertext(), row.secretKeyId())),
            previous(row)))
        // seal draws a nonce from a SecureRandom that may read /dev/urandom.
        .subscribeOn(Schedulers.boundedElastic())
        .flatMap(sealed -> {
          SecretCipher.Sealed current = sealed.get(0);
          SecretCipher.Sealed prior = sealed.get(1);
          DatabaseClient.GenericExecuteSpec update = db.sql("""
                  UPDATE webhook_endpoints SET secret = NULL, previous_secret = NULL,
                      secret_ciphertext = :ciphertext, secret_key_id = :keyId,
                      previous_secret_ciphertext = :previousCiphertext, previous_secret_key_id = :previousKeyId
                  WHERE id = :id""")
              .bind("id", row.id()).bind("ciphertext", current.ciphertext()).bind("keyId", current.keyId());
          update = prior == NONE
              ? update.bindNull("previousCiphertext", byte[].class).bindNull("previousKeyId", String.class)
              : update.bind("previousCiphertext", prior.ciphertext()).bind("previousKeyId", prior.keyId());
          return update.fetch().rowsUpdated().map(Long::intValue);
        })
        .onErrorResume(IllegalStateException.class, error -> {
          // A key removed before its rows were re-encrypted: those endpoints cannot sign until it is back.
          log.error("webhook endpoint {} keeps its stored secret: {}", row.id(), error.getMessage());
          return Mono.just(0);
        });
  }

  /** Marks "no previous secret" in the pair sealed by {@link #reencrypt}. */
  private static final SecretCipher.Sealed NONE = new SecretCipher.Sealed(new byte[0], "");

  private SecretCipher.Sealed previous(Stored row) {
    String previous = plain(row.id(), row.previousSecret(), row.previousCiphertext(), row.previousKeyId());
    return previous == null ? NONE : cipher.seal(row.id(), previous);
  }

  private String plain(String id, String plaintext, byte[] ciphertext, String keyId) {
    return ciphertext != null ? cipher.open(id, ciphertext, keyId) : plaintext;
  }
}
