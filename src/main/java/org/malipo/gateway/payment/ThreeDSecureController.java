package org.malipo.gateway.payment;

import java.net.URI;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.web.PageAssets;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.HtmlUtils;
import reactor.core.publisher.Mono;

/**
 * The browser's way back from 3-D Secure (docs/adr/0083-three-d-secure.md). Unauthenticated:
 * the customer's browser carries no credential; the signed result is the authority.
 *
 * <ul>
 *   <li>{@code GET /three_d_secure/callback?result=<JWS>}: verifies and applies the access control
 *       server's result ({@link ThreeDSecure#accept}), then {@code 303} to the payment's {@code
 *       return_url} (or the result page); a forged, expired or replayed result is {@code 400
 *       authentication_result_invalid} and changes nothing.
 *   <li>{@code GET /three_d_secure/{id}/result}: a server-rendered page with the payment's status,
 *       for payments created without a {@code return_url}.
 * </ul>
 */
@RestController
final class ThreeDSecureController {

  private final ThreeDSecure threeDSecure;
  private final PaymentRepository payments;

  ThreeDSecureController(ThreeDSecure threeDSecure, PaymentRepository payments) {
    this.threeDSecure = threeDSecure;
    this.payments = payments;
  }

  @GetMapping("/three_d_secure/callback")
  Mono<ResponseEntity<Void>> callback(@RequestParam(name = "result", required = false) String result) {
    return threeDSecure.accept(result)
        .map(payment -> ResponseEntity.status(HttpStatus.SEE_OTHER)
            .location(URI.create(payment.returnUrl() != null ? payment.returnUrl() : ThreeDSecure.resultPage(payment.id())))
            .cacheControl(CacheControl.noStore())
            .<Void>build());
  }

  @GetMapping(path = "/three_d_secure/{payment_id}/result", produces = MediaType.TEXT_HTML_VALUE)
  Mono<ResponseEntity<String>> result(@PathVariable("payment_id") String id) {
    return payments.findById(id)
        .map(payment -> ResponseEntity.ok()
            .contentType(MediaType.TEXT_HTML)
            .header("Content-Security-Policy", PageAssets.CONTENT_SECURITY_POLICY)
            .cacheControl(CacheControl.noStore())
            .body(page(payment)))
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such payment: " + id)));
  }

  private static String page(Payment payment) {
    String status = payment.status().wireName();
    String headline = switch (payment.status()) {
      case SUCCEEDED -> "Payment successful";
      case REQUIRES_CAPTURE -> "Payment authorized";
      case FAILED, CANCELED -> "Payment not completed";
      default -> "Payment in progress";
    };
    return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>%s</title></head>
        <body><main><h1 id="headline">%s</h1>
        <p>Payment <code id="payment">%s</code>: <strong id="status">%s</strong>%s</p></main></body></html>
        """.formatted(headline, headline, HtmlUtils.htmlEscape(payment.id()), status,
        payment.failure() == null ? "" : " (<span id=\"failure\">" + HtmlUtils.htmlEscape(payment.failure().code()) + "</span>)");
  }
}
