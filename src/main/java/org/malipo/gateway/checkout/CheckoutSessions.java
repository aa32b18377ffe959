package org.malipo.gateway.checkout;

import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Table {@code checkout_sessions}. Every merchant read is scoped by merchant and mode
 * (INVARIANTS.md 18, ADR 0078); writes join the caller's transaction.
 */
@Component
final class CheckoutSessions {

  /** Payments a session may start at most (issue 19). */
  static final int MAX_PAYMENTS = 5;
  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};
  private static final String COLUMNS = "id, merchant_id, livemode, status, amount_minor, currency, reference, description,"
      + " metadata::text AS metadata, payment_method_types, capture_method, customer_msisdn, success_url, cancel_url,"
      + " client_secret, expires_at, payment_id, payments_started, created_at";

  private final DatabaseClient db;
  private final JsonMapper json;

  CheckoutSessions(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  Mono<Void> insert(CheckoutSession s, String idempotencyKey) {
    DatabaseClient.GenericExecuteSpec spec = db.sql("""
            INSERT INTO checkout_sessions (id, merchant_id, livemode, idempotency_key, status, amount_minor, currency,
                reference, description, metadata, payment_method_types, capture_method, customer_msisdn, success_url,
                cancel_url, client_secret, expires_at, created_at, updated_at)
            VALUES (:id, :merchant, :livemode, :key, 'open', :amount, :currency, :reference, :description,
                CAST(:metadata AS jsonb), :types, :capture, :msisdn, :success, :cancel, :secret, :expires, :at, :at)""")
        .bind("id", s.id()).bind("merchant", s.merchantId()).bind("livemode", s.livemode()).bind("key", idempotencyKey)
        .bind("amount", s.amount().amountMinor()).bind("currency", s.amount().currency().code())
        .bind("metadata", json.writeValueAsString(s.metadata()))
        .bind("types", s.paymentMethodTypes().toArray(String[]::new)).bind("capture", s.captureMethod())
        .bind("secret", s.clientSecret())
        .bind("expires", s.expiresAt()).bind("at", s.createdAt());
    spec = nullable(spec, "reference", s.reference());
    spec = nullable(spec, "description", s.description());
    spec = nullable(spec, "msisdn", s.customerMsisdn());
    spec = nullable(spec, "success", s.successUrl());
    spec = nullable(spec, "cancel", s.cancelUrl());
    return spec.then();
  }

  private static DatabaseClient.GenericExecuteSpec nullable(DatabaseClient.GenericExecuteSpec spec, String name,
      String value) {
    return value == null ? spec.bindNull(name, String.class) : spec.bind(name, value);
  }

  /** The merchant's session of this mode, or empty (another merchant's or mode's id too). */
  Mono<CheckoutSession> find(String merchantId, boolean livemode, String id) {
    return db.sql("SELECT " + COLUMNS + " FROM checkout_sessions WHERE id = :id AND merchant_id = :merchant"
            + " AND livemode = :livemode")
        .bind("id", id).bind("merchant", merchantId).bind("livemode", livemode)
        .map(this::toSession).one();
  }

  /** The session with this id, whoever's (the hosted page, which then checks the client secret). */
  Mono<CheckoutSession> findById(String id) {
    return db.sql("SELECT " + COLUMNS + " FROM checkout_sessions WHERE id = :id").bind("id", id)
        .map(this::toSession).one();
  }

  /** The merchant's newest active publishable key of this mode, or empty. */
  Mono<String> publishableKey(String merchantId, boolean livemode) {
    return db.sql("SELECT key FROM publishable_keys WHERE merchant_id = :merchant AND livemode = :livemode"
            + " AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1")
        .bind("merchant", merchantId).bind("livemode", livemode)
        .map(row -> row.get("key", String.class)).one();
  }

  /** One page of the merchant's sessions of this mode, newest first; {@code limit} rows at most. */
  Flux<CheckoutSession> page(String merchantId, boolean livemode, int limit, String startingAfter) {
    String sql = "SELECT " + COLUMNS + " FROM checkout_sessions WHERE merchant_id = :merchant AND livemode = :livemode"
        + (startingAfter == null ? "" : " AND id < :after") + " ORDER BY id DESC LIMIT :limit";
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql).bind("merchant", merchantId).bind("livemode", livemode)
        .bind("limit", limit);
    if (startingAfter != null) {
      spec = spec.bind("after", startingAfter);
    }
    return spec.map(this::toSession).all();
  }

  /**
   * Expires an open session (by the merchant, or by time when {@code dueOnly}).
   *
   * @return true if this call expired it
   */
  Mono<Boolean> expire(String id, Instant at, boolean dueOnly) {
    return db.sql("UPDATE checkout_sessions SET status = 'expired', expired_at = :at, updated_at = :at"
            + " WHERE id = :id AND status = 'open'" + (dueOnly ? " AND expires_at <= :at" : "")
            + " AND active_confirm_key IS NULL")
        .bind("id", id).bind("at", at)
        .fetch().rowsUpdated().map(rows -> rows == 1);
  }

  /** Ids of open sessions past their expiry and with no payment running, at most {@code limit}. */
  Flux<String> due(Instant now, int limit) {
    return db.sql("SELECT id FROM checkout_sessions WHERE status = 'open' AND expires_at <= :now"
            + " AND active_confirm_key IS NULL ORDER BY expires_at LIMIT :limit")
        .bind("now", now).bind("limit", limit)
        .map(row -> row.get("id", String.class)).all();
  }

  private CheckoutSession toSession(Readable row) {
    CurrencyUnit currency = CurrencyUnit.fromCode(row.get("currency", String.class)).orElseThrow();
    Integer started = row.get("payments_started", Integer.class);
    return new CheckoutSession(row.get("id", String.class), row.get("merchant_id", String.class),
        Boolean.TRUE.equals(row.get("livemode", Boolean.class)), row.get("status", String.class),
        new Money(row.get("amount_minor", Long.class), currency), row.get("reference", String.class),
        row.get("description", String.class), json.readValue(row.get("metadata", String.class), STRING_MAP),
        Arrays.asList(row.get("payment_method_types", String[].class)), row.get("capture_method", String.class),
        row.get("customer_msisdn", String.class), row.get("success_url", String.class),
        row.get("cancel_url", String.class), row.get("client_secret", String.class),
        row.get("expires_at", Instant.class), row.get("payment_id", String.class), started == null ? 0 : started,
        row.get("created_at", Instant.class));
  }
}
