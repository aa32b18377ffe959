package org.malipo.gateway.auth;

import java.util.Set;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.springframework.web.server.ServerWebExchange;

/**
 * The authenticated caller of a {@code /v1} request, taken from a verified access token.
 *
 * @param clientId the OAuth client id (JWT {@code sub})
 * @param merchantId the merchant every query of this request is scoped to (JWT {@code mid})
 * @param scopes the granted scopes (JWT {@code scope}, space-separated there)
 * @param livemode true for a live credential (real rails, live objects), false for a test one
 *     (sandbox rails, test objects); JWT claim {@code livemode} (docs/adr/0078-test-and-live-mode.md)
 * @param publishable true when the caller authenticated with a publishable key ({@code pk_test_…}):
 *     it may use only the client-side checkout routes ({@link #CHECKOUT_CLIENT})
 */
public record Principal(String clientId, String merchantId, Set<String> scopes, boolean livemode,
    boolean publishable) {

  private static final String ATTRIBUTE = Principal.class.getName();

  /** Scope to create payments. */
  public static final String PAYMENTS_WRITE = "payments:write";
  /** Scope to read payments. */
  public static final String PAYMENTS_READ = "payments:read";
  /** Scope to create refunds. */
  public static final String REFUNDS_WRITE = "refunds:write";
  /** Scope to create payouts (money out to a mobile wallet). */
  public static final String PAYOUTS_WRITE = "payouts:write";
  /** Scope to read payouts. */
  public static final String PAYOUTS_READ = "payouts:read";
  /** Operator scope: merchants, ledger reports. */
  public static final String ADMIN = "admin";

  /** Read-only inspector scope (issue 24): volumes, trial balance and reports in the console, no action. */
  public static final String REGULATOR = "regulator";

  /** Every scope a client may hold. */
  public static final Set<String> ALL_SCOPES = Set.of(PAYMENTS_WRITE, PAYMENTS_READ, REFUNDS_WRITE,
      PAYOUTS_WRITE, PAYOUTS_READ, ADMIN, REGULATOR);

  /** Scope of a publishable key: tokenize cards, read and confirm a checkout session with its secret. */
  public static final String CHECKOUT_CLIENT = "checkout:client";

  public Principal {
    scopes = Set.copyOf(scopes);
  }

  /** A test-mode principal of a secret credential (tests, simulations). */
  public Principal(String clientId, String merchantId, Set<String> scopes) {
    this(clientId, merchantId, scopes, false, false);
  }

  /** {@code "live"} or {@code "test"}, for logs and metrics. */
  public String mode() {
    return livemode ? "live" : "test";
  }

  /**
   * Fails unless this principal holds {@code scope}.
   *
   * @return this principal, for chaining
   * @throws ApiProblem {@code 403 insufficient_scope}
   */
  public Principal require(String scope) {
    if (!scopes.contains(scope)) {
      throw ApiProblem.of(ProblemCode.INSUFFICIENT_SCOPE, "This operation needs the scope '" + scope + "'.")
          .withHeaders(java.util.Map.of("WWW-Authenticate",
              "Bearer error=\"insufficient_scope\", scope=\"" + scope + "\""));
    }
    return this;
  }

  /** Binds this principal to the exchange (done by the authentication filter). */
  public void attachTo(ServerWebExchange exchange) {
    exchange.getAttributes().put(ATTRIBUTE, this);
  }

  /**
   * The principal of the exchange, if the authentication filter attached one.
   *
   * @return empty for routes outside the Bearer filter (token endpoint, callbacks, probes)
   */
  public static java.util.Optional<Principal> find(ServerWebExchange exchange) {
    return java.util.Optional.ofNullable(exchange.getAttribute(ATTRIBUTE));
  }

  /**
   * The principal of an authenticated exchange.
   *
   * @throws ApiProblem {@code 401 unauthorized} if the exchange was not authenticated
   */
  public static Principal of(ServerWebExchange exchange) {
    Principal principal = exchange.getAttribute(ATTRIBUTE);
    if (principal == null) {
      throw ApiProblem.of(ProblemCode.UNAUTHORIZED, "A Bearer access token is required.")
          .withHeaders(java.util.Map.of("WWW-Authenticate", "Bearer"));
    }
    return principal;
  }
}
