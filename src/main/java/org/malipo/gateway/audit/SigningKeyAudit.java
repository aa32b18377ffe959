package org.malipo.gateway.audit;

import java.time.Duration;
import java.util.Map;
import org.malipo.gateway.auth.KeyRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/**
 * Records {@code signing_key.activated} when an instance starts signing with a {@code kid} other
 * than the last one recorded: key rotation is a configuration change (ADR 0053), so the audit
 * trail notices it at start-up. Instances of one rollout serialise on a transaction-scoped
 * advisory lock, so the change is recorded once.
 */
@Component
final class SigningKeyAudit implements ApplicationListener<ApplicationReadyEvent> {

  private static final Logger log = LoggerFactory.getLogger(SigningKeyAudit.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final KeyRing keys;
  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final AuditLog audit;

  SigningKeyAudit(KeyRing keys, DatabaseClient db, TransactionalOperator tx, AuditLog audit) {
    this.keys = keys;
    this.db = db;
    this.tx = tx;
    this.audit = audit;
  }

  @Override
  public void onApplicationEvent(ApplicationReadyEvent event) {
    recordIfChanged()
        .timeout(TIMEOUT)
        .subscribe(recorded -> { }, error -> log.warn("could not audit the active signing key: {}", error.toString()));
  }

  /**
   * Appends {@code signing_key.activated} unless the last one recorded names the active kid.
   *
   * @return whether a row was written
   */
  Mono<Boolean> recordIfChanged() {
    String kid = keys.activeKid();
    Mono<Boolean> work = db.sql("SELECT pg_advisory_xact_lock(hashtext('malipo.audit.signing_key'))").then()
        .then(db.sql("SELECT target_id FROM audit_events WHERE action = :action ORDER BY id DESC LIMIT 1")
            .bind("action", AuditAction.SIGNING_KEY_ACTIVATED.wireName())
            .map(row -> row.get("target_id", String.class))
            .one()
            .defaultIfEmpty(""))
        .flatMap(last -> last.equals(kid) ? Mono.just(false)
            : audit.record(AuditContext.SYSTEM, AuditAction.SIGNING_KEY_ACTIVATED, kid,
                last.isEmpty() ? Map.of() : Map.of("previous_kid", last)).thenReturn(true));
    return tx.transactional(work);
  }
}
