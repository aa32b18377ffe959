package org.malipo.gateway.checkout;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.malipo.gateway.web.PageAssets;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The hosted checkout page (issue 19): {@code GET /checkout/{id}} serves the page
 * (web/src/checkout, with the pages' Content-Security-Policy of {@link PageAssets}: no inline
 * script or style, this origin only), whatever the id: the page itself reads the session.
 * {@code GET /checkout/{id}/config?client_secret=…} gives the page what the client view does not:
 * the merchant's publishable key of the session's mode, {@code success_url}, {@code cancel_url},
 * the prefilled {@code customer_msisdn} and {@code livemode}; a wrong secret or unknown id is
 * {@code 404}. No secret credential is ever in either answer.
 */
@Configuration(proxyBeanMethods = false)
class CheckoutPage {

  @Bean
  RouterFunction<ServerResponse> checkoutPageRoutes(PageAssets assets, CheckoutSessions sessions, Clock clock) {
    return RouterFunctions.route()
        .GET("/checkout/{id}", request -> assets.serve("checkout", "index.html"))
        .GET("/checkout/{id}/config", request -> config(request, sessions))
        .build();
  }

  private static Mono<ServerResponse> config(ServerRequest request, CheckoutSessions sessions) {
    String secret = request.queryParam("client_secret").orElse("");
    return sessions.findById(request.pathVariable("id"))
        .filter(session -> MessageDigest.isEqual(session.clientSecret().getBytes(StandardCharsets.UTF_8),
            secret.getBytes(StandardCharsets.UTF_8)))
        .flatMap(session -> sessions.publishableKey(session.merchantId(), session.livemode())
            .map(key -> {
              Map<String, Object> config = new LinkedHashMap<>();
              config.put("publishable_key", key);
              config.put("livemode", session.livemode());
              config.put("success_url", session.successUrl());
              config.put("cancel_url", session.cancelUrl());
              config.put("customer_msisdn", session.customerMsisdn());
              return config;
            }))
        .flatMap(config -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
            .cacheControl(CacheControl.noStore()).bodyValue(config))
        .switchIfEmpty(ServerResponse.notFound().build());
  }
}
