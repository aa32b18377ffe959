package org.malipo.gateway.checkout;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.malipo.gateway.web.PageAssets;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The hosted checkout page (issue 19, docs/adr/0081-hosted-checkout-page.md): {@code GET
 * /checkout/{id}} serves the page (web/src/checkout, with the pages' Content-Security-Policy of
 * {@link PageAssets}: no inline script or style, this origin only), whatever the id: the page
 * itself reads the session with the client secret from the URL's fragment. {@code GET
 * /checkout/{id}/config?client_secret=…} gives the page what the client view does not: the
 * merchant's publishable key of the session's mode, {@code success_url}, {@code cancel_url}, the
 * prefilled {@code customer_msisdn} and {@code livemode}; a wrong secret, an unknown id or a
 * merchant without a publishable key is {@code 404}. No secret credential is in either answer.
 * Annotated routes, so the contract walk (ContractRoutesIntegrationTests) sees them.
 */
@RestController
final class CheckoutPage {

  private final PageAssets assets;
  private final CheckoutSessions sessions;

  CheckoutPage(PageAssets assets, CheckoutSessions sessions) {
    this.assets = assets;
    this.sessions = sessions;
  }

  @GetMapping(path = "/checkout/{id}", produces = MediaType.TEXT_HTML_VALUE)
  ResponseEntity<byte[]> page(@PathVariable String id) {
    return assets.file("checkout", "index.html")
        .map(html -> ResponseEntity.ok()
            .contentType(MediaType.TEXT_HTML)
            .header("Content-Security-Policy", PageAssets.CONTENT_SECURITY_POLICY)
            .cacheControl(CacheControl.noCache())
            .body(html))
        .orElseGet(() -> ResponseEntity.status(HttpStatus.NOT_FOUND).build());
  }

  @GetMapping(path = "/checkout/{id}/config", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<Map<String, Object>>> config(@PathVariable String id,
      @RequestParam(name = "client_secret", required = false) String clientSecret) {
    String secret = clientSecret == null ? "" : clientSecret;
    return sessions.findById(id)
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
              return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(config);
            }))
        .switchIfEmpty(Mono.error(() -> CheckoutSessionController.notFound(id)));
  }
}
