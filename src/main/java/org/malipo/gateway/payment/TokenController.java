package org.malipo.gateway.payment;

import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/tokens} with a publishable key (issue 19): {@code {card: {number, exp_month,
 * exp_year, cvc}}} → {@code 201 {id: "tok_…", object: "token", card: {brand, last4, exp_month,
 * exp_year}, livemode, expires_at}} ({@link CardTokens}). A secret credential is refused ({@code 403
 * insufficient_scope}): card numbers stay off merchant-credential routes.
 */
@RestController
final class TokenController {

  private final StrictJson strictJson;
  private final CardTokens tokens;

  TokenController(StrictJson strictJson, CardTokens tokens) {
    this.strictJson = strictJson;
    this.tokens = tokens;
  }

  /** The body. */
  record CreateTokenRequest(Card card) {
    /** The card as typed by the customer. */
    record Card(String number, Integer expMonth, Integer expYear, String cvc) {}
  }

  @PostMapping(path = "/v1/tokens", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<CardTokens.TokenView>> create(ServerWebExchange exchange,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal principal = Principal.of(exchange).require(Principal.CHECKOUT_CLIENT);
    return body.defaultIfEmpty(new byte[0])
        .flatMap(bytes -> {
          CreateTokenRequest request = strictJson.read(bytes, CreateTokenRequest.class);
          if (request.card() == null) {
            throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "card", "card is required.");
          }
          CreateTokenRequest.Card card = request.card();
          return tokens.create(principal.merchantId(), principal.livemode(), card.number(), card.expMonth(),
              card.expYear(), card.cvc());
        })
        .map(token -> ResponseEntity.status(HttpStatus.CREATED).cacheControl(CacheControl.noStore()).body(token));
  }
}
