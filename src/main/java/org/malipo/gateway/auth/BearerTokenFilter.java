package org.malipo.gateway.auth;

import java.util.List;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.LogContext;
import org.malipo.gateway.api.ProblemCode;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.PathContainer;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.core.publisher.Mono;

/**
 * Authenticates every {@code /v1/**} request with a Bearer access token (RFC 6750 §2.1), except
 * the token endpoint {@code /v1/oauth/token} and the rails' {@code /v1/callbacks/**} (which
 * authenticate by their own means). On success the {@link Principal} is attached to the exchange;
 * scope checks are the handlers' job ({@link Principal#require}).
 *
 * <p>Errors: no {@code Authorization: Bearer} header is {@code 401 unauthorized} with
 * {@code WWW-Authenticate: Bearer} (RFC 6750 §3.1: no error code); a token that fails
 * {@link TokenVerifier} is {@code 401 invalid_token} with {@code error="invalid_token"}, and so is
 * a valid token of a client on the {@link ClientRevocations} deny list.
 *
 * <p>Runs after the request-id filter (highest precedence) so problems carry the request id.
 * Paths are matched with the same {@link PathPattern} rules as routing, so a path that reaches a
 * {@code /v1} handler cannot slip past this filter.
 */
@Component
@Order(-100)
final class BearerTokenFilter implements WebFilter {

  private static final PathPattern API = PathPatternParser.defaultInstance.parse("/v1/**");
  private static final PathPattern TOKEN_ENDPOINT = PathPatternParser.defaultInstance.parse("/v1/oauth/token");
  private static final PathPattern CALLBACKS = PathPatternParser.defaultInstance.parse("/v1/callbacks/**");
  private static final String BEARER = "Bearer ";
  /** The only routes a publishable key may call (issue 19); every other answers 403 insufficient_scope. */
  private static final PathPattern TOKENS = PathPatternParser.defaultInstance.parse("/v1/tokens");
  private static final PathPattern SESSION = PathPatternParser.defaultInstance.parse("/v1/checkout_sessions/{id}");
  private static final PathPattern CONFIRM = PathPatternParser.defaultInstance.parse("/v1/checkout_sessions/{id}/confirm");

  private final TokenVerifier verifier;
  private final ClientRevocations revocations;
  private final PublishableKeys publishableKeys;

  BearerTokenFilter(TokenVerifier verifier, ClientRevocations revocations, PublishableKeys publishableKeys) {
    this.verifier = verifier;
    this.revocations = revocations;
    this.publishableKeys = publishableKeys;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    PathContainer path = exchange.getRequest().getPath().pathWithinApplication();
    if (!API.matches(path) || TOKEN_ENDPOINT.matches(path) || CALLBACKS.matches(path)) {
      return chain.filter(exchange);
    }
    // A console session (console.ConsoleSessionFilter, which runs first) already authenticated it.
    if (Principal.find(exchange).isPresent()) {
      return chain.filter(exchange);
    }
    Principal principal;
    try {
      String bearer = bearerToken(exchange.getRequest().getHeaders());
      if (PublishableKeys.looksPublishable(bearer)) {
        return publishable(exchange, chain, path, bearer);
      }
      principal = verifier.verify(bearer);
    } catch (ApiProblem problem) {
      return Mono.error(problem);
    }
    // After the (cached) verification, on every request: a revoked client's tokens stop working
    // within the deny list's refresh interval, however long they have left (ADR 0053).
    if (revocations.isRevoked(principal.clientId())) {
      return Mono.error(TokenVerifier.invalid("The access token's client has been revoked."));
    }
    principal.attachTo(exchange);
    LogContext.bindMerchant(exchange, principal.merchantId());
    return chain.filter(exchange).contextWrite(ctx -> ctx.put(LogContext.MERCHANT_ID, principal.merchantId()));
  }

  /**
   * A publishable key: unknown or revoked is {@code 401 invalid_token}; on a route other than the
   * client-side checkout routes it is {@code 403 insufficient_scope}, before any handler runs.
   */
  private Mono<Void> publishable(ServerWebExchange exchange, WebFilterChain chain, PathContainer path, String key) {
    org.springframework.http.HttpMethod method = exchange.getRequest().getMethod();
    boolean allowed = (org.springframework.http.HttpMethod.POST.equals(method) && (TOKENS.matches(path) || CONFIRM.matches(path)))
        || (org.springframework.http.HttpMethod.GET.equals(method) && SESSION.matches(path));
    return publishableKeys.authenticate(key)
        .switchIfEmpty(Mono.error(() -> TokenVerifier.invalid("The publishable key is not valid.")))
        .flatMap(principal -> {
          if (!allowed) {
            return Mono.error(ApiProblem.of(ProblemCode.INSUFFICIENT_SCOPE,
                    "A publishable key can only create tokens and read or confirm a checkout session.")
                .withHeaders(Map.of("WWW-Authenticate", "Bearer error=\"insufficient_scope\"")));
          }
          principal.attachTo(exchange);
          LogContext.bindMerchant(exchange, principal.merchantId());
          return chain.filter(exchange).contextWrite(ctx -> ctx.put(LogContext.MERCHANT_ID, principal.merchantId()));
        });
  }

  private static String bearerToken(HttpHeaders headers) {
    List<String> authorization = headers.getOrEmpty(HttpHeaders.AUTHORIZATION);
    if (authorization.isEmpty()) {
      throw unauthorized();
    }
    if (authorization.size() > 1) {
      throw TokenVerifier.invalid("Send one Authorization header.");
    }
    String value = authorization.getFirst();
    if (value.length() < BEARER.length() || !value.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw value.strip().equalsIgnoreCase("Bearer") ? TokenVerifier.invalid("The Bearer token is empty.") : unauthorized();
    }
    String token = value.substring(BEARER.length()).strip();
    if (token.isEmpty()) {
      throw TokenVerifier.invalid("The Bearer token is empty.");
    }
    return token;
  }

  private static ApiProblem unauthorized() {
    return ApiProblem.of(ProblemCode.UNAUTHORIZED, "A Bearer access token is required.")
        .withHeaders(Map.of("WWW-Authenticate", "Bearer"));
  }
}
