package org.malipo.gateway.checkout;

import java.time.Duration;
import java.util.List;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.reactive.CorsWebFilter;
import org.springframework.web.cors.reactive.UrlBasedCorsConfigurationSource;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * CORS for the routes a publishable key may call (issue 19): {@code POST /v1/tokens},
 * {@code GET /v1/checkout_sessions/{id}} and {@code POST /v1/checkout_sessions/{id}/confirm} are
 * open to any origin, without credentials (no cookies: the key and the client secret travel in the
 * request), with Spring's {@link CorsWebFilter}. Runs before authentication so a preflight
 * ({@code OPTIONS}, which carries no {@code Authorization}) is answered here. Every other route
 * stays closed to browsers of other origins.
 */
@Component
@Order(-150)
final class ClientCorsFilter implements WebFilter {

  private final CorsWebFilter cors;

  ClientCorsFilter() {
    CorsConfiguration open = new CorsConfiguration();
    open.setAllowedOrigins(List.of(CorsConfiguration.ALL));
    open.setAllowCredentials(false);
    open.setAllowedMethods(List.of("GET", "POST"));
    open.setAllowedHeaders(List.of("Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"));
    open.setExposedHeaders(List.of("X-Request-Id", "Idempotent-Replayed", "Retry-After", "RateLimit", "RateLimit-Policy"));
    open.setMaxAge(Duration.ofMinutes(10));
    UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
    source.registerCorsConfiguration("/v1/tokens", open);
    source.registerCorsConfiguration("/v1/checkout_sessions/{id}", open);
    source.registerCorsConfiguration("/v1/checkout_sessions/{id}/confirm", open);
    this.cors = new CorsWebFilter(source);
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    return cors.filter(exchange, chain);
  }
}
