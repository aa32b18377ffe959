package org.malipo.gateway.console;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.RequestIds;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditContext;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.audit.SourceAddresses;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.web.PageAssets;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpCookie;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The console's page and session routes (issue 24, docs/console.md):
 *
 * <ul>
 *   <li>{@code GET /console}: the page (web/src/console) with the pages' CSP;
 *   <li>{@code POST /console/session}: {@code client_id} and {@code client_secret} (JSON or form),
 *       checked like the token endpoint ({@code 401 invalid_client}); the client must hold
 *       {@code admin} or {@code regulator} ({@code 403 insufficient_scope}). Sets the HttpOnly,
 *       SameSite=Strict session cookie (Secure when the request came over TLS) and the readable
 *       CSRF cookie, answers {@code 201} with the session (role, CSRF token, idle timeout);
 *   <li>{@code GET /console/session}: the current session ({@code 401 invalid_token} if none);
 *   <li>{@code DELETE /console/session}: logout, needs {@code X-CSRF-Token}; {@code 204}.
 * </ul>
 * Login and logout are audited ({@code console_session.created}, {@code console_session.ended}).
 */
@RestController
final class ConsoleController {

  private final PageAssets assets;
  private final ApiClients clients;
  private final ConsoleSessions sessions;
  private final AuditLog audit;
  private final SourceAddresses sources;

  ConsoleController(PageAssets assets, ApiClients clients, ConsoleSessions sessions, AuditLog audit,
      SourceAddresses sources) {
    this.assets = assets;
    this.clients = clients;
    this.sessions = sessions;
    this.audit = audit;
    this.sources = sources;
  }

  /** Login body: a client's credentials. */
  record LoginRequest(String clientId, String clientSecret) {}

  @GetMapping(path = "/console", produces = MediaType.TEXT_HTML_VALUE)
  ResponseEntity<byte[]> page() {
    return assets.file("console", "index.html")
        .map(html -> ResponseEntity.ok()
            .contentType(MediaType.TEXT_HTML)
            .header("Content-Security-Policy", PageAssets.CONTENT_SECURITY_POLICY)
            .cacheControl(CacheControl.noCache())
            .body(html))
        .orElseGet(() -> ResponseEntity.status(HttpStatus.NOT_FOUND).build());
  }

  @PostMapping(path = "/console/session", consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<Map<String, Object>>> loginJson(@RequestBody LoginRequest request, ServerWebExchange exchange) {
    return login(request.clientId(), request.clientSecret(), exchange);
  }

  @PostMapping(path = "/console/session", consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<Map<String, Object>>> loginForm(ServerWebExchange exchange) {
    return exchange.getFormData()
        .flatMap(form -> login(form.getFirst("client_id"), form.getFirst("client_secret"), exchange));
  }

  @GetMapping(path = "/console/session", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<Map<String, Object>>> current(ServerWebExchange exchange) {
    return session(exchange)
        .map(found -> ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(view(found)));
  }

  @DeleteMapping("/console/session")
  Mono<ResponseEntity<Void>> logout(ServerWebExchange exchange) {
    HttpCookie cookie = exchange.getRequest().getCookies().getFirst(ConsoleSessionFilter.SESSION_COOKIE);
    return session(exchange)
        .flatMap(found -> {
          ConsoleSessionFilter.checkCsrf(exchange, found);
          return sessions.delete(cookie.getValue())
              .then(audit.record(context(exchange, found.clientId(), found.merchantId()),
                  AuditAction.CONSOLE_SESSION_ENDED, found.clientId(), Map.of("role", found.role())));
        })
        .then(Mono.fromSupplier(() -> ResponseEntity.noContent()
            .header("Set-Cookie", cookie(exchange, ConsoleSessionFilter.SESSION_COOKIE, "", true, Duration.ZERO).toString())
            .header("Set-Cookie", cookie(exchange, ConsoleSessionFilter.CSRF_COOKIE, "", false, Duration.ZERO).toString())
            .<Void>build()));
  }

  private Mono<ResponseEntity<Map<String, Object>>> login(String clientId, String secret, ServerWebExchange exchange) {
    if (clientId == null || clientId.isBlank()) {
      return Mono.error(ApiProblem.param(ProblemCode.PARAMETER_MISSING, "client_id", "client_id is required."));
    }
    if (secret == null || secret.isBlank()) {
      return Mono.error(ApiProblem.param(ProblemCode.PARAMETER_MISSING, "client_secret", "client_secret is required."));
    }
    return clients.authenticatePrincipal(clientId, secret)
        // Not the token endpoint's "Basic" challenge: a browser would answer it with its own login dialog.
        .onErrorMap(ApiProblem.class, problem -> problem.code() == ProblemCode.INVALID_CLIENT
            ? ApiProblem.of(ProblemCode.INVALID_CLIENT, "The client id or secret is wrong, or the client is revoked.")
                .withHeaders(Map.of("WWW-Authenticate", "Bearer realm=\"console\""))
            : problem)
        .flatMap(principal -> {
          String role = principal.scopes().contains(Principal.ADMIN) ? ConsoleSession.ADMIN
              : principal.scopes().contains(Principal.REGULATOR) ? ConsoleSession.REGULATOR : null;
          if (role == null) {
            return Mono.error(ApiProblem.of(ProblemCode.INSUFFICIENT_SCOPE,
                "The console needs a client with the scope 'admin' or 'regulator'.")
                .withHeaders(Map.of("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"admin regulator\"")));
          }
          ConsoleSession session = new ConsoleSession(principal.clientId(), principal.merchantId(), role,
              principal.livemode(), ConsoleSessions.randomToken());
          return sessions.create(session)
              .flatMap(id -> audit.record(context(exchange, session.clientId(), session.merchantId()),
                      AuditAction.CONSOLE_SESSION_CREATED, session.clientId(), Map.of("role", role))
                  .thenReturn(ResponseEntity.status(HttpStatus.CREATED)
                      .cacheControl(CacheControl.noStore())
                      .header("Set-Cookie", cookie(exchange, ConsoleSessionFilter.SESSION_COOKIE, id, true, null).toString())
                      .header("Set-Cookie", cookie(exchange, ConsoleSessionFilter.CSRF_COOKIE, session.csrfToken(), false, null)
                          .toString())
                      .body(view(session))));
        });
  }

  private Map<String, Object> view(ConsoleSession session) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("object", "console_session");
    body.put("client_id", session.clientId());
    body.put("merchant_id", session.merchantId());
    body.put("role", session.role());
    body.put("csrf_token", session.csrfToken());
    body.put("idle_timeout_seconds", sessions.idleTimeout().toSeconds());
    return body;
  }

  private Mono<ConsoleSession> session(ServerWebExchange exchange) {
    HttpCookie cookie = exchange.getRequest().getCookies().getFirst(ConsoleSessionFilter.SESSION_COOKIE);
    Mono<ConsoleSession> found = cookie == null || cookie.getValue().isEmpty() ? Mono.empty() : sessions.touch(cookie.getValue());
    return found.switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.INVALID_TOKEN,
        "No console session, or it has expired; log in again.")
        .withHeaders(Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\""))));
  }

  private AuditContext context(ServerWebExchange exchange, String clientId, String merchantId) {
    return new AuditContext(clientId, merchantId, RequestIds.of(exchange), sources.of(exchange));
  }

  /** Session cookies: path /, SameSite=Strict, Secure when the request came over TLS; no Max-Age (browser session). */
  private static ResponseCookie cookie(ServerWebExchange exchange, String name, String value, boolean httpOnly,
      Duration maxAge) {
    boolean tls = exchange.getRequest().getSslInfo() != null
        || "https".equalsIgnoreCase(exchange.getRequest().getURI().getScheme());
    ResponseCookie.ResponseCookieBuilder builder = ResponseCookie.from(name, value)
        .path("/")
        .httpOnly(httpOnly)
        .secure(tls)
        .sameSite("Strict");
    if (maxAge != null) {
      builder.maxAge(maxAge);
    }
    return builder.build();
  }
}
