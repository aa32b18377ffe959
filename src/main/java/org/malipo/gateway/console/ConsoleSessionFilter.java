package org.malipo.gateway.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.LogContext;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.auth.ClientRevocations;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpCookie;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.PathContainer;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.core.publisher.Mono;

/**
 * Lets the console page call the admin API ({@code /v1/**}) with its session cookie instead of a
 * Bearer token. Runs just before auth.BearerTokenFilter, and only when the request has no
 * {@code Authorization} header and carries the {@value #SESSION_COOKIE} cookie:
 *
 * <ul>
 *   <li>unknown or expired session: {@code 401 invalid_token};
 *   <li>a method other than GET/HEAD without the session's CSRF token in {@value #CSRF_HEADER}
 *       (double submit; compared in constant time): {@code 403 csrf_token_invalid};
 *   <li>a regulator: GET of {@link #REGULATOR_READS} only, anything else {@code 403
 *       insufficient_scope}; an admin: the principal holds only the {@code admin} scope, so only
 *       the admin routes answer (the merchant routes need their own scopes);
 *   <li>a revoked client's session stops like its tokens do.
 * </ul>
 */
@Component
@Order(-101)
final class ConsoleSessionFilter implements WebFilter {

  static final String SESSION_COOKIE = "malipo_console";
  static final String CSRF_COOKIE = "malipo_console_csrf";
  static final String CSRF_HEADER = "X-CSRF-Token";

  private static final PathPattern API = PathPatternParser.defaultInstance.parse("/v1/**");
  private static final PathPattern TOKEN_ENDPOINT = PathPatternParser.defaultInstance.parse("/v1/oauth/token");
  private static final PathPattern CALLBACKS = PathPatternParser.defaultInstance.parse("/v1/callbacks/**");
  /** What a regulator may read: volumes, the trial balance, reports; never payments or payer data. */
  static final List<PathPattern> REGULATOR_READS = List.of(
      PathPatternParser.defaultInstance.parse("/v1/ledger/trial_balance"),
      PathPatternParser.defaultInstance.parse("/v1/reports/trial_balance.csv"),
      PathPatternParser.defaultInstance.parse("/v1/reports/volumes.csv"),
      PathPatternParser.defaultInstance.parse("/v1/admin/reports/latency"));

  private final ConsoleSessions sessions;
  private final ClientRevocations revocations;

  ConsoleSessionFilter(ConsoleSessions sessions, ClientRevocations revocations) {
    this.sessions = sessions;
    this.revocations = revocations;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    PathContainer path = exchange.getRequest().getPath().pathWithinApplication();
    if (!API.matches(path) || TOKEN_ENDPOINT.matches(path) || CALLBACKS.matches(path)
        || exchange.getRequest().getHeaders().containsHeader(HttpHeaders.AUTHORIZATION)) {
      return chain.filter(exchange);
    }
    HttpCookie cookie = exchange.getRequest().getCookies().getFirst(SESSION_COOKIE);
    if (cookie == null || cookie.getValue().isEmpty()) {
      return chain.filter(exchange);
    }
    return sessions.touch(cookie.getValue())
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.INVALID_TOKEN,
                "The console session has expired or ended; log in again.")
            .withHeaders(Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\""))))
        .flatMap(session -> {
          checkCsrf(exchange, session);
          if (revocations.isRevoked(session.clientId())) {
            return Mono.error(ApiProblem.of(ProblemCode.INVALID_TOKEN, "The console session's client has been revoked.")
                .withHeaders(Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\"")));
          }
          if (session.regulator() && !regulatorMayRead(exchange, path)) {
            return Mono.error(ApiProblem.of(ProblemCode.INSUFFICIENT_SCOPE,
                "The regulator role reads volumes, the trial balance and reports only.")
                .withHeaders(Map.of("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"admin\"")));
          }
          session.principal().attachTo(exchange);
          LogContext.bindMerchant(exchange, session.merchantId());
          return chain.filter(exchange).contextWrite(ctx -> ctx.put(LogContext.MERCHANT_ID, session.merchantId()));
        });
  }

  private static boolean regulatorMayRead(ServerWebExchange exchange, PathContainer path) {
    HttpMethod method = exchange.getRequest().getMethod();
    return (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))
        && REGULATOR_READS.stream().anyMatch(pattern -> pattern.matches(path));
  }

  /**
   * Fails with {@code 403 csrf_token_invalid} unless a safe method, or the header holds the
   * session's token.
   */
  static void checkCsrf(ServerWebExchange exchange, ConsoleSession session) {
    HttpMethod method = exchange.getRequest().getMethod();
    if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)) {
      return;
    }
    String sent = exchange.getRequest().getHeaders().getFirst(CSRF_HEADER);
    if (sent == null || !MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8),
        session.csrfToken().getBytes(StandardCharsets.UTF_8))) {
      throw ApiProblem.of(ProblemCode.CSRF_TOKEN_INVALID,
          "Send the console session's CSRF token in the X-CSRF-Token header.")
          // The contract's 403 names the challenge; the session cookie is not a Bearer token, so no error code.
          .withHeaders(Map.of("WWW-Authenticate", "Bearer realm=\"console\""));
    }
  }
}
