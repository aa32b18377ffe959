package org.malipo.gateway.checkout;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.PageSizes;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.KeyedHashes;
import org.malipo.gateway.idempotency.IdempotencyKeys;
import org.malipo.gateway.idempotency.IdempotencyStore;
import org.malipo.gateway.payment.CheckoutOrders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The merchant's side of checkout sessions (issue 19), with a secret credential:
 * {@code POST /v1/checkout_sessions} ({@code payments:write}, {@code Idempotency-Key} required)
 * → {@code 201} session with its {@code client_secret} and hosted page {@code url};
 * {@code GET /v1/checkout_sessions/{id}} and {@code GET /v1/checkout_sessions?limit&starting_after}
 * ({@code payments:read}); {@code POST /v1/checkout_sessions/{id}/expire} ({@code payments:write}).
 * Sessions of another merchant or mode are {@code 404 not_found}. Errors as {@code POST
 * /v1/payments} for the order fields; {@code expires_in_seconds} outside 60..86400,
 * {@code capture_method} other than {@code automatic} or {@code manual} (cards only), unknown
 * {@code payment_method_types} are {@code 400 parameter_invalid}; expiring a complete session is {@code 409 checkout_session_complete}.
 */
@RestController
final class CheckoutSessionController {

  static final long EXPIRES_MIN_SECONDS = 60;
  static final long EXPIRES_MAX_SECONDS = 86_400;
  static final long EXPIRES_DEFAULT_SECONDS = 1_800;
  private static final Set<String> METHOD_TYPES = Set.of("card", "mobile_money");
  private static final int CREATED = 201;

  private final StrictJson strictJson;
  private final CheckoutOrders orders;
  private final CheckoutSessions sessions;
  private final IdempotencyStore idempotency;
  private final KeyedHashes fingerprints;
  private final TransactionalOperator tx;
  private final JsonMapper json;
  private final CheckoutProperties properties;
  private final Clock clock;
  private final CheckoutLifecycle lifecycle;
  private final ClientCheckout clientSide;
  private final SecureRandom random = org.malipo.gateway.auth.Drbg.seeded();

  CheckoutSessionController(StrictJson strictJson, CheckoutOrders orders, CheckoutSessions sessions,
      IdempotencyStore idempotency, KeyedHashes fingerprints, TransactionalOperator tx, JsonMapper json,
      CheckoutProperties properties, Clock clock, CheckoutLifecycle lifecycle, ClientCheckout clientSide) {
    this.lifecycle = lifecycle;
    this.clientSide = clientSide;
    this.strictJson = strictJson;
    this.orders = orders;
    this.sessions = sessions;
    this.idempotency = idempotency;
    this.fingerprints = fingerprints;
    this.tx = tx;
    this.json = json;
    this.properties = properties;
    this.clock = clock;
  }

  @PostMapping(path = "/v1/checkout_sessions", consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<String>> create(ServerWebExchange exchange,
      @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_WRITE);
    String key = IdempotencyKeys.require(idempotencyKey);
    String origin = origin(exchange);
    return body.defaultIfEmpty(new byte[0]).flatMap(bytes -> {
      JsonNode tree = strictJson.readObject(bytes);
      String fingerprint = fingerprints.of("POST /v1/checkout_sessions" + (principal.livemode() ? " livemode" : "")
          + "\n" + strictJson.canonical(tree));
      CheckoutSession session = validate(principal, strictJson.bind(tree, CreateCheckoutSessionRequest.class));
      String answer = json.writeValueAsString(session.view(url(origin, session), null, "open"));
      // Claim, insert and store the answer in one transaction: a crash leaves all or nothing.
      Mono<ResponseEntity<String>> work = idempotency.claim(principal.merchantId(), key, fingerprint, session.id())
          .flatMap(claim -> switch (claim) {
            case IdempotencyStore.Claim.Replay replay -> Mono.just(ResponseEntity.status(replay.status())
                .contentType(MediaType.APPLICATION_JSON).header(IdempotencyKeys.REPLAYED_HEADER, "true")
                .body(replay.body()));
            case IdempotencyStore.Claim.Claimed claimed -> sessions.insert(session, key)
                .then(idempotency.complete(principal.merchantId(), key, session.id(), CREATED, answer))
                .thenReturn(ResponseEntity.status(CREATED).contentType(MediaType.APPLICATION_JSON).body(answer));
          });
      return tx.transactional(work);
    });
  }

  @GetMapping(path = "/v1/checkout_sessions", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Map<String, Object>> list(ServerWebExchange exchange, @RequestParam(name = "limit", required = false) String limit,
      @RequestParam(name = "starting_after", required = false) String startingAfter) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_READ);
    int size = PageSizes.parse(limit);
    String origin = origin(exchange);
    Mono<Boolean> cursorOk = startingAfter == null ? Mono.just(true)
        : sessions.find(principal.merchantId(), principal.livemode(), startingAfter).hasElement();
    return cursorOk.flatMap(ok -> {
      if (!ok) {
        return Mono.error(ApiProblem.param(ProblemCode.PARAMETER_INVALID, "starting_after",
            "starting_after must be the id of one of your checkout sessions."));
      }
      return sessions.page(principal.merchantId(), principal.livemode(), size + 1, startingAfter)
          .concatMap(session -> view(session, origin))
          .collectList()
          .map(rows -> Map.<String, Object>of("object", "list", "data", rows.size() > size ? rows.subList(0, size) : rows,
              "has_more", rows.size() > size));
    });
  }

  @GetMapping(path = "/v1/checkout_sessions/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Object> get(ServerWebExchange exchange, @PathVariable String id,
      @RequestParam(name = "client_secret", required = false) String clientSecret) {
    Principal principal = Principal.of(exchange);
    if (principal.publishable()) {
      return clientSide.get(principal, id, clientSecret);
    }
    principal.require(Principal.PAYMENTS_READ);
    String origin = origin(exchange);
    return sessions.find(principal.merchantId(), principal.livemode(), id)
        .switchIfEmpty(Mono.error(() -> notFound(id)))
        .flatMap(session -> view(session, origin));
  }

  @PostMapping(path = "/v1/checkout_sessions/{id}/confirm", consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ClientCheckout.ClientView> confirm(ServerWebExchange exchange, @PathVariable String id,
      @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal principal = Principal.of(exchange);
    if (!principal.publishable()) {
      // The card must never reach a merchant-credential route: confirm is the client's alone.
      principal.require(Principal.CHECKOUT_CLIENT);
    }
    String key = IdempotencyKeys.require(idempotencyKey);
    return body.defaultIfEmpty(new byte[0]).flatMap(bytes -> clientSide.confirm(principal, id, key, bytes));
  }

  @PostMapping(path = "/v1/checkout_sessions/{id}/expire", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<CheckoutSession.View> expire(ServerWebExchange exchange, @PathVariable String id) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_WRITE);
    String origin = origin(exchange);
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    return sessions.find(principal.merchantId(), principal.livemode(), id)
        .switchIfEmpty(Mono.error(() -> notFound(id)))
        .flatMap(session -> switch (session.status()) {
          case "complete" -> Mono.error(ApiProblem.of(ProblemCode.CHECKOUT_SESSION_COMPLETE,
              "Checkout session " + id + " is complete: its payment succeeded."));
          case "expired" -> view(session, origin);
          default -> lifecycle.expire(session, now, false)
              .flatMap(expired -> expired ? Mono.empty() : Mono.error(ApiProblem.of(ProblemCode.IDEMPOTENCY_IN_PROGRESS,
                  "A payment of checkout session " + id + " is running; retry when it is final.")
                  .withHeaders(Map.of("Retry-After", "1"))))
              .then(sessions.find(principal.merchantId(), principal.livemode(), id))
              .flatMap(current -> view(current, origin));
        });
  }

  private CheckoutSession validate(Principal principal, CreateCheckoutSessionRequest request) {
    CheckoutOrders.Order order = orders.validate(request.amount(), request.currency(), request.reference(),
        request.description(), request.metadata());
    String capture = request.captureMethod() == null ? "automatic" : request.captureMethod();
    if (!"automatic".equals(capture) && !"manual".equals(capture)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "capture_method",
          "capture_method must be \"automatic\" or \"manual\".");
    }
    // Manual capture holds a card authorization; mobile money has no such hold (ADR 0082).
    List<String> types = request.paymentMethodTypes() == null
        ? ("manual".equals(capture) ? List.of("card") : List.of("card", "mobile_money"))
        : request.paymentMethodTypes().stream().distinct().toList();
    if ("manual".equals(capture) && types.contains("mobile_money")) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "capture_method",
          "capture_method \"manual\" is for cards only: leave \"mobile_money\" out of payment_method_types.");
    }
    if (types.isEmpty() || !METHOD_TYPES.containsAll(types)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "payment_method_types",
          "payment_method_types must be a non-empty list of \"card\" and \"mobile_money\".");
    }
    long expiresIn = request.expiresInSeconds() == null ? EXPIRES_DEFAULT_SECONDS : request.expiresInSeconds();
    if (expiresIn < EXPIRES_MIN_SECONDS || expiresIn > EXPIRES_MAX_SECONDS) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "expires_in_seconds",
          "expires_in_seconds must be between 60 and 86400.");
    }
    String msisdn = request.customerMsisdn();
    if (msisdn != null && !msisdn.matches("\\+[1-9][0-9]{7,14}")) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "customer_msisdn",
          "customer_msisdn must be an E.164 number such as +254708374149.");
    }
    String successUrl = httpUrl(request.successUrl(), "success_url");
    String cancelUrl = httpUrl(request.cancelUrl(), "cancel_url");
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    String id = Ids.next("cs");
    return new CheckoutSession(id, principal.merchantId(), principal.livemode(), "open", order.amount(),
        order.reference(), order.description(), order.metadata(), types, capture, msisdn, successUrl, cancelUrl,
        id + "_secret_" + randomToken(), now.plusSeconds(expiresIn), null, 0, now);
  }

  /** An absolute http(s) URL of at most 2,048 characters, or null. */
  private static String httpUrl(String value, String param) {
    if (value == null) {
      return null;
    }
    try {
      java.net.URI uri = new java.net.URI(value);
      if (value.length() <= 2048 && uri.isAbsolute() && uri.getHost() != null
          && ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))) {
        return value;
      }
    } catch (java.net.URISyntaxException e) {
      // reported below
    }
    throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, param, param + " must be an absolute http(s) URL.");
  }

  private String randomToken() {
    byte[] bytes = new byte[24];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The session as the merchant sees it, with its latest payment; open but overdue shows expired. */
  private Mono<CheckoutSession.View> view(CheckoutSession session, String origin) {
    String status = session.expiredBy(clock.instant()) ? "expired" : session.status();
    String url = url(origin, session);
    if (session.paymentId() == null) {
      return Mono.just(session.view(url, null, status));
    }
    return orders.state(session.merchantId(), session.livemode(), session.paymentId())
        .map(state -> session.view(url, summary(state), status))
        .defaultIfEmpty(session.view(url, null, status));
  }

  static CheckoutSession.PaymentSummary summary(CheckoutOrders.PaymentState state) {
    return new CheckoutSession.PaymentSummary(state.id(), state.status(),
        state.failureCode() == null ? null : new CheckoutSession.Failure(state.failureCode(), state.failureMessage()));
  }

  /** The client view's payment: with its {@code next_action} while {@code requires_action} (3-D Secure). */
  static CheckoutSession.PaymentSummary clientSummary(CheckoutOrders.PaymentState state) {
    CheckoutSession.PaymentSummary summary = summary(state);
    return state.nextActionUrl() == null ? summary : new CheckoutSession.PaymentSummary(summary.id(), summary.status(),
        summary.failure(), new CheckoutSession.NextAction("redirect_to_url",
            new CheckoutSession.RedirectToUrl(state.nextActionUrl(), state.returnUrl())));
  }

  private String url(String origin, String id) {
    return (properties.baseUrl().isEmpty() ? origin : properties.baseUrl()) + "/checkout/" + id;
  }

  /** The hosted page's URL: the client secret rides in the fragment, which browsers never send. */
  private String url(String origin, CheckoutSession session) {
    return url(origin, session.id()) + "#" + session.clientSecret();
  }

  private static String origin(ServerWebExchange exchange) {
    java.net.URI uri = exchange.getRequest().getURI();
    return uri.getScheme() + "://" + uri.getRawAuthority();
  }

  static ApiProblem notFound(String id) {
    return ApiProblem.of(ProblemCode.NOT_FOUND, "No such checkout session: " + id);
  }
}
