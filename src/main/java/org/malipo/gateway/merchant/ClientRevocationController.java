package org.malipo.gateway.merchant;

import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditContext;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.auth.ClientRevocations;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.MediaType;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/clients/{id}/revoke} (scope {@code admin}): revokes an API client for good
 * (docs/adr/0053-key-rotation-and-client-revocation.md). In one transaction the client is marked
 * revoked (no new tokens) and the revocation audited; then its id goes on the Redis deny list, so
 * its outstanding tokens are refused on every instance within the list's refresh interval.
 *
 * <p>No body (an empty body or {@code {}}; any field is {@code 400 parameter_unknown}). Answers {@code 200 {id, object: "client", merchant_id, revoked: true, revoked_at}},
 * the same on a repeat. Errors: {@code 403 insufficient_scope}, {@code 404 not_found} for an
 * unknown client, {@code 503 service_unavailable} when Redis did not take the deny-list entry
 * (the revocation is stored; repeat the call so every instance learns of it).
 */
@RestController
final class ClientRevocationController {

  private final ApiClients clients;
  private final ClientRevocations revocations;
  private final AuditLog audit;
  private final TransactionalOperator tx;
  private final StrictJson strictJson;

  ClientRevocationController(ApiClients clients, ClientRevocations revocations, AuditLog audit,
      TransactionalOperator tx, StrictJson strictJson) {
    this.strictJson = strictJson;
    this.clients = clients;
    this.revocations = revocations;
    this.audit = audit;
    this.tx = tx;
  }

  /** The answer: {@code revoked_at} in ISO 8601 UTC. */
  record RevokedView(String id, String object, String merchantId, boolean revoked, String revokedAt) {}

  @PostMapping(path = "/v1/clients/{id}/revoke", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<RevokedView> revoke(ServerWebExchange exchange, @PathVariable String id,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal.of(exchange).require(Principal.ADMIN);
    AuditContext context = audit.context(exchange);
    Mono<ApiClients.Revoked> revoke = Mono.defer(() -> clients.revoke(id))
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such client: " + id)))
        .flatMap(revoked -> !revoked.newlyRevoked() ? Mono.just(revoked)
            : audit.record(context, AuditAction.CLIENT_REVOKED, id, Map.of("merchant_id", revoked.merchantId()))
                .thenReturn(revoked));
    // Nothing in the body is the client's to set: a field there is refused, not ignored.
    return body.defaultIfEmpty(new byte[0])
        .doOnNext(strictJson::requireNoFields)
        .then(tx.transactional(revoke))
        .flatMap(revoked -> revocations.publish(id, revoked.revokedAt())
            .onErrorMap(error -> ApiProblem.of(ProblemCode.SERVICE_UNAVAILABLE,
                "The client is revoked but the deny list could not be updated; repeat the request."))
            .thenReturn(new RevokedView(id, "client", revoked.merchantId(), true, revoked.revokedAt().toString())));
  }
}
