package org.malipo.gateway.auth;

import java.util.List;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/oauth/token}: the client-credentials grant (RFC 6749 §4.4). Form body
 * ({@code application/x-www-form-urlencoded}) with {@code grant_type=client_credentials} and an
 * optional space-separated {@code scope}, which must be a subset of the client's scopes (absent
 * means all of them). The client authenticates with HTTP Basic or form fields (§2.3.1).
 *
 * <p>Answers {@code 200} {@code {access_token, token_type: "Bearer", expires_in, scope}} with
 * {@code Cache-Control: no-store} (§5.1). Errors (RFC 9457 problems whose {@code code} is the RFC
 * 6749 §5.2 error): {@code 400 invalid_request}, {@code 400 unsupported_grant_type},
 * {@code 400 invalid_scope}, {@code 401 invalid_client} with {@code WWW-Authenticate: Basic}.
 */
@RestController
final class TokenEndpoint {

  private final ApiClients clients;
  private final TokenIssuer issuer;

  TokenEndpoint(ApiClients clients, TokenIssuer issuer) {
    this.clients = clients;
    this.issuer = issuer;
  }

  /**
   * The token response of RFC 6749 §5.1.
   *
   * @param accessToken the JWT
   * @param tokenType always {@code Bearer}
   * @param expiresIn lifetime in seconds
   * @param scope granted scopes, space-separated
   */
  record TokenResponse(String accessToken, String tokenType, long expiresIn, String scope) {}

  @PostMapping("/v1/oauth/token")
  Mono<ResponseEntity<TokenResponse>> token(ServerWebExchange exchange) {
    MediaType contentType = exchange.getRequest().getHeaders().getContentType();
    if (contentType == null || !MediaType.APPLICATION_FORM_URLENCODED.equalsTypeAndSubtype(contentType)) {
      return Mono.error(ApiProblem.of(ProblemCode.INVALID_REQUEST,
          "Send the token request as Content-Type: application/x-www-form-urlencoded."));
    }
    return exchange.getFormData()
        .map(form -> TokenRequest.parse(exchange.getRequest().getHeaders(), form))
        .flatMap(request -> clients.authenticate(request.clientId(), request.clientSecret())
            .map(client -> issuer.issue(client.clientId(), client.merchantId(), granted(client, request), client.livemode())))
        .map(token -> ResponseEntity.ok()
            .cacheControl(CacheControl.noStore())
            .header("Pragma", "no-cache")
            .body(new TokenResponse(token.value(), "Bearer", token.expiresInSeconds(), token.scope())));
  }

  private static List<String> granted(ApiClients.Client client, TokenRequest request) {
    if (request.scopes() == null) {
      if (client.scopes().isEmpty()) {
        throw ApiProblem.of(ProblemCode.INVALID_SCOPE, "This client holds no scopes.");
      }
      return client.scopes();
    }
    for (String scope : request.scopes()) {
      if (!client.scopes().contains(scope)) {
        throw ApiProblem.param(ProblemCode.INVALID_SCOPE, "scope",
            scope.length() <= 40
                ? "The scope '" + scope + "' is not granted to this client."
                : "A requested scope is not granted to this client.");
      }
    }
    return client.scopes().stream().filter(request.scopes()::contains).toList();
  }
}
