package org.malipo.gateway.sandbox;

import java.net.URI;
import java.util.Set;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.payment.CardAuthentication;
import org.malipo.gateway.payment.ThreeDSecure;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.web.PageAssets;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.util.HtmlUtils;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Mono;

/**
 * The sandbox's 3-D Secure issuer: its directory rule and its access control server (ACS) page
 * (issue 20, docs/adr/0083-three-d-secure.md). Test cards: {@value #CHALLENGED} needs
 * authentication; {@value #ALWAYS_FAILS} needs it and always fails it, whichever button is
 * pressed. Test mode only (a live card is the real issuer's business).
 *
 * <ul>
 *   <li>{@code GET /sandbox/acs/{payment_id}}: the challenge page, server-rendered with the pages'
 *       Content-Security-Policy and no script: two forms, "Complete authentication" and "Fail
 *       authentication"; {@code 404} when no card is under authentication for that payment.
 *   <li>{@code POST /sandbox/acs/{payment_id}} (form {@code result=authenticated|failed}): signs
 *       the result ({@link ThreeDSecure#signResult}) and answers {@code 303} to the gateway's
 *       {@code /three_d_secure/callback?result=<JWS>}, which applies it and sends the browser on to
 *       the {@code return_url}.
 * </ul>
 */
@RestController
@ConditionalOnProperty(prefix = "malipo.sandbox", name = "enabled", havingValue = "true")
final class SandboxAccessControlServer implements CardAuthentication {

  /** Needs authentication; passes when the customer completes it. */
  static final String CHALLENGED = "4000000000003220";
  /** Needs authentication and always fails it. */
  static final String ALWAYS_FAILS = "4000000000003063";
  private static final Set<String> ENROLLED = Set.of(CHALLENGED, ALWAYS_FAILS);

  private final ThreeDSecure threeDSecure;

  SandboxAccessControlServer(ThreeDSecure threeDSecure) {
    this.threeDSecure = threeDSecure;
  }

  @Override
  public boolean required(CardData card, boolean livemode) {
    return !livemode && ENROLLED.contains(card.number());
  }

  @GetMapping(path = "/sandbox/acs/{payment_id}", produces = MediaType.TEXT_HTML_VALUE)
  Mono<ResponseEntity<String>> challenge(@PathVariable("payment_id") String paymentId) {
    return threeDSecure.cardUnderAuthentication(paymentId)
        .map(card -> ResponseEntity.ok()
            .contentType(MediaType.TEXT_HTML)
            .header("Content-Security-Policy", PageAssets.CONTENT_SECURITY_POLICY)
            .cacheControl(CacheControl.noStore())
            .body(page(paymentId, card)))
        .switchIfEmpty(Mono.error(() -> notFound(paymentId)));
  }

  @PostMapping(path = "/sandbox/acs/{payment_id}", consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE)
  Mono<ResponseEntity<Void>> answer(@PathVariable("payment_id") String paymentId, ServerWebExchange exchange) {
    return exchange.getFormData().flatMap(form -> {
      String result = form.getFirst("result");
      if (!"authenticated".equals(result) && !"failed".equals(result)) {
        return Mono.error(ApiProblem.param(ProblemCode.PARAMETER_INVALID, "result",
            "result must be 'authenticated' or 'failed'."));
      }
      return threeDSecure.cardUnderAuthentication(paymentId)
          .switchIfEmpty(Mono.error(() -> notFound(paymentId)))
          .map(card -> {
            // The issuer's rule: this card never passes, whatever the customer does.
            boolean passed = "authenticated".equals(result) && !ALWAYS_FAILS.equals(card.number());
            URI back = UriComponentsBuilder.fromPath(ThreeDSecure.callbackPath())
                .queryParam("result", threeDSecure.signResult(paymentId, passed))
                .build().toUri();
            return ResponseEntity.status(HttpStatus.SEE_OTHER).location(back).cacheControl(CacheControl.noStore()).build();
          });
    });
  }

  private static ApiProblem notFound(String paymentId) {
    return ApiProblem.of(ProblemCode.NOT_FOUND, "No authentication in progress for payment " + paymentId + ".");
  }

  private static String page(String paymentId, CardData card) {
    String id = HtmlUtils.htmlEscape(paymentId);
    return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Sandbox 3-D Secure</title></head>
        <body><main>
        <h1>Sandbox bank: confirm your payment</h1>
        <p>Payment <code>%s</code> with the card ending in <strong>%s</strong> asks you to authenticate.</p>
        <form method="post" action="/sandbox/acs/%s"><input type="hidden" name="result" value="authenticated">
        <button type="submit" id="complete">Complete authentication</button></form>
        <form method="post" action="/sandbox/acs/%s"><input type="hidden" name="result" value="failed">
        <button type="submit" id="fail">Fail authentication</button></form>
        </main></body></html>
        """.formatted(id, card.last4(), id, id);
  }
}
