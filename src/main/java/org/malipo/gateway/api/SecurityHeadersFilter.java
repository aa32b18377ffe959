package org.malipo.gateway.api;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Adds the security headers of the OWASP REST Security Cheat Sheet to every answer of the web
 * layer (API answers, problems, 404s, actuator): {@code Strict-Transport-Security}
 * ({@code malipo.http.strict-transport-security}, RFC 6797), {@code X-Content-Type-Options:
 * nosniff}, {@code X-Frame-Options: DENY} and {@code Content-Security-Policy: default-src 'none';
 * frame-ancestors 'none'} (an API answer is never a page to frame or run), {@code Referrer-Policy:
 * no-referrer}, and {@code Cache-Control: no-store} unless the handler chose a policy (the JWK
 * set is cacheable). A handler that set its own Content-Security-Policy keeps it (the browser
 * pages, web.PageAssets). Set just before the answer is committed, so error paths get them too.
 *
 * <p>Not covered: answers Reactor Netty writes itself before WebFlux sees the request (a header
 * section over {@code server.max-http-request-header-size}: 431; an unparsable request line: 400).
 * docs/adr/0051-security-headers-on-every-response.md.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
final class SecurityHeadersFilter implements WebFilter {

  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

  private final String strictTransportSecurity;

  SecurityHeadersFilter(@Value("${malipo.http.strict-transport-security:max-age=31536000; includeSubDomains}")
      String strictTransportSecurity) {
    this.strictTransportSecurity = strictTransportSecurity;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    exchange.getResponse().beforeCommit(() -> Mono.fromRunnable(() -> apply(exchange.getResponse().getHeaders())));
    return chain.filter(exchange);
  }

  private void apply(HttpHeaders headers) {
    headers.set("Strict-Transport-Security", strictTransportSecurity);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("X-Frame-Options", "DENY");
    if (!headers.containsHeader("Content-Security-Policy")) {
      headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY); // pages set their own (web.PageAssets)
    }
    headers.set("Referrer-Policy", "no-referrer");
    if (!headers.containsHeader(HttpHeaders.CACHE_CONTROL)) {
      headers.setCacheControl("no-store");
    }
  }
}
