package org.malipo.gateway.audit;

import java.util.Map;
import org.malipo.gateway.api.RequestIds;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.common.Ids;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes the append-only table {@code audit_events} (docs/adr/0055-audit-log.md).
 *
 * <p>{@link #record} joins the caller's R2DBC transaction when there is one, so an audited write
 * and its audit row commit together or not at all; an audited read writes its row before it
 * answers, so a read that could not be audited is not served.
 */
@Component
public final class AuditLog {

  private final DatabaseClient db;
  private final SourceAddresses sources;
  private final JsonMapper json;

  AuditLog(DatabaseClient db, SourceAddresses sources, JsonMapper json) {
    this.db = db;
    this.sources = sources;
    this.json = json;
  }

  /**
   * The actor and origin of an authenticated request.
   *
   * @throws org.malipo.gateway.api.ApiProblem {@code 401} if the exchange is not authenticated
   */
  public AuditContext context(ServerWebExchange exchange) {
    Principal principal = Principal.of(exchange);
    return new AuditContext(principal.clientId(), principal.merchantId(), RequestIds.of(exchange),
        sources.of(exchange));
  }

  /**
   * Appends one audit event.
   *
   * @param context who acted, from where
   * @param action what was done
   * @param targetId the object acted on (e.g. {@code whe_…}); for reads of a whole report its name
   * @param details a few non-secret facts (never secrets, tokens or card data), JSON-serialisable
   * @return completes when the row is written (in the caller's transaction, if any)
   */
  public Mono<Void> record(AuditContext context, AuditAction action, String targetId, Map<String, ?> details) {
    return db.sql("""
            INSERT INTO audit_events (id, action, actor_client_id, actor_merchant_id, target_type, target_id,
                request_id, source_address, details)
            VALUES (:id, :action, :client, :merchant, :type, :target, :request, :source, CAST(:details AS jsonb))""")
        .bind("id", Ids.next("aud"))
        .bind("action", action.wireName())
        .bind("client", nullable(context.clientId()))
        .bind("merchant", nullable(context.merchantId()))
        .bind("type", action.targetType())
        .bind("target", targetId)
        .bind("request", nullable(context.requestId()))
        .bind("source", nullable(context.sourceAddress()))
        .bind("details", json.writeValueAsString(details))
        .then();
  }

  private static io.r2dbc.spi.Parameter nullable(String value) {
    return value == null ? io.r2dbc.spi.Parameters.in(String.class) : io.r2dbc.spi.Parameters.in(value);
  }
}
