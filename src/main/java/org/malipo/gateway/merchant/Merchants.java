package org.malipo.gateway.merchant;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditContext;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.auth.PublishableKeys;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.common.Ids;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** The {@code merchants} table: creation of a merchant together with its first API client. */
@Component
final class Merchants {

  /** Scopes of the API client every new merchant gets. */
  static final List<String> MERCHANT_SCOPES =
      List.of(Principal.PAYMENTS_WRITE, Principal.PAYMENTS_READ, Principal.REFUNDS_WRITE, Principal.PAYOUTS_WRITE,
          Principal.PAYOUTS_READ);

  private final DatabaseClient db;
  private final TransactionalOperator transactions;
  private final ApiClients clients;

  private final AuditLog audit;
  private final PublishableKeys publishableKeys;

  Merchants(DatabaseClient db, TransactionalOperator transactions, ApiClients clients, AuditLog audit,
      PublishableKeys publishableKeys) {
    this.publishableKeys = publishableKeys;
    this.db = db;
    this.transactions = transactions;
    this.clients = clients;
    this.audit = audit;
  }

  /**
   * A created merchant with the credentials of its first client.
   *
   * @param id {@code mer_…}
   * @param name display name
   * @param country ISO 3166-1 alpha-2
   * @param clientId {@code cli_…}
   * @param clientSecret {@code sk_…}, returned here and never again
   * @param publishableKey {@code pk_test_…}: the client-side key for apps and the hosted page
   * @param livemode the mode of the client and the key (always false: test credentials)
   * @param createdAt creation time (database clock)
   */
  record Created(String id, String name, String country, String clientId, String clientSecret, String publishableKey,
      boolean livemode, Instant createdAt) {
    @Override
    public String toString() {
      return "Created[id=" + id + ", clientId=" + clientId + "]";
    }
  }

  /**
   * Creates a merchant and one client with {@link #MERCHANT_SCOPES}, and audits both, in one
   * transaction.
   *
   * @param context who creates it (audit log)
   * @param name valid display name
   * @param country valid country code
   */
  Mono<Created> create(AuditContext context, String name, String country) {
    String id = Ids.next("mer");
    Mono<Created> work = db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, :name, :country) "
            + "RETURNING created_at")
        .bind("id", id)
        .bind("name", name)
        .bind("country", country)
        .map(row -> row.get("created_at", OffsetDateTime.class))
        .one()
        // Test credentials only, in every profile: live ones are issued by an operator once the
        // merchant is approved for real money (docs/adr/0078-test-and-live-mode.md).
        .flatMap(createdAt -> clients.register(id, MERCHANT_SCOPES, false)
            .zipWith(publishableKeys.create(id, false))
            .map(both -> new Created(id, name, country, both.getT1().clientId(),
                both.getT1().clientSecret(), both.getT2(), false, createdAt.toInstant())))
        .flatMap(created -> audit.record(context, AuditAction.MERCHANT_CREATED, id, Map.of("country", country))
            .then(audit.record(context, AuditAction.CLIENT_CREATED, created.clientId(),
                Map.of("merchant_id", id, "scopes", MERCHANT_SCOPES)))
            .thenReturn(created));
    return transactions.transactional(work);
  }

  /**
   * Stores a merchant with a chosen id unless the id exists; joins the caller's transaction.
   *
   * @return {@code true} if stored
   */
  Mono<Boolean> createIfAbsent(String id, String name, String country) {
    return db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, :name, :country) "
            + "ON CONFLICT (id) DO NOTHING")
        .bind("id", id)
        .bind("name", name)
        .bind("country", country)
        .fetch()
        .rowsUpdated()
        .map(rows -> rows == 1);
  }
}
