package org.malipo.gateway.merchant;

import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/merchants} (scope {@code admin}): creates a merchant and its first API client.
 *
 * <p>Body {@code {"name", "country"}} read strictly ({@link StrictJson}). Answers {@code 201}
 * {@code {id, name, country, client_id, client_secret, publishable_key, livemode, created_at}} with
 * {@code Cache-Control: no-store}; the secret is shown only in this answer. The credentials are
 * test credentials ({@code livemode: false}, {@code pk_test_…}) in every profile (docs/adr/0078). Errors:
 * {@code 401} (filter), {@code 403 insufficient_scope}, {@code 400 invalid_json},
 * {@code parameter_unknown}, {@code parameter_missing}, {@code parameter_invalid} (with
 * {@code param}), {@code 415} for a body that is not JSON.
 */
@RestController
final class MerchantController {

  private static final byte[] EMPTY = new byte[0];

  private final StrictJson json;
  private final Merchants merchants;
  private final AuditLog audit;

  MerchantController(StrictJson json, Merchants merchants, AuditLog audit) {
    this.json = json;
    this.merchants = merchants;
    this.audit = audit;
  }

  @PostMapping(path = "/v1/merchants", consumes = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<Merchants.Created>> create(@RequestBody(required = false) Mono<byte[]> body,
      ServerWebExchange exchange) {
    return Mono.fromCallable(() -> Principal.of(exchange).require(Principal.ADMIN))
        .then(body.defaultIfEmpty(EMPTY))
        .map(bytes -> json.read(bytes, CreateMerchantRequest.class).validated())
        .flatMap(request -> merchants.create(audit.context(exchange), request.name(), request.country()))
        .map(created -> ResponseEntity.status(HttpStatus.CREATED)
            .cacheControl(CacheControl.noStore())
            .body(created));
  }
}
