package org.malipo.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.malipo.gateway.web.PageAssets;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.reactive.result.method.RequestMappingInfo;
import org.springframework.web.reactive.result.method.RequestMappingInfoHandlerMapping;
import org.springframework.web.util.pattern.PathPattern;

/**
 * Every answer carries the security headers (ADR 0051): each route of the router walk (controllers
 * and actuator, as {@code ContractRoutesIntegrationTests} walks them), called with a merchant
 * token and no body, whatever its status; plus an unknown path (404), a wrong method (405) and
 * a request without a token (401). The contract filter checks the same on every other exchange
 * of the suite; this test makes sure no route is left out.
 */
class SecurityHeadersIntegrationTests extends IntegrationTest {

  static final Map<String, String> EXPECTED = Map.of(
      "Strict-Transport-Security", "max-age=31536000; includeSubDomains",
      "X-Content-Type-Options", "nosniff",
      "X-Frame-Options", "DENY",
      "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'",
      "Referrer-Policy", "no-referrer");

  @Autowired ApplicationContext context;
  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;

  @Test
  void everyRouteAnswersWithTheSecurityHeaders() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
    List<String[]> routes = routes();
    assertThat(routes).hasSizeGreaterThan(20);
    for (String[] route : routes) {
      // The metrics page outgrows the validating client's buffer: read its headers with a plain client.
      var client = route[1].equals("/actuator/prometheus") ? plainClient() : web;
      EntityExchangeResult<byte[]> result = client.method(HttpMethod.valueOf(route[0])).uri(route[1])
          .headers(h -> h.setBearerAuth(merchant.token()))
          .exchange().expectBody().returnResult();
      assertSecurityHeaders(route[0] + " " + route[1] + " -> " + result.getStatus(), result.getResponseHeaders());
    }
  }

  @Test
  void problemsForUnknownPathsWrongMethodsAndMissingTokensCarryThemToo() {
    assertSecurityHeaders("404", web.get().uri("/no/such/path").exchange().expectStatus().isNotFound()
        .expectBody().returnResult().getResponseHeaders());
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:read");
    assertSecurityHeaders("405", web.patch().uri("/v1/balance").headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isEqualTo(405)
        .expectBody().returnResult().getResponseHeaders());
    assertSecurityHeaders("401", web.get().uri("/v1/balance").exchange().expectStatus().isUnauthorized()
        .expectBody().returnResult().getResponseHeaders());
  }

  @Test
  void secretsAndTokensAreNeverCacheableWhileTheJwkSetIs() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write");
    web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(org.springframework.http.MediaType.APPLICATION_JSON)
        .bodyValue("{\"url\": \"http://127.0.0.1:9/hooks\", \"events\": [\"refund.failed\"]}")
        .exchange().expectStatus().isCreated().expectHeader().valueEquals(HttpHeaders.CACHE_CONTROL, "no-store");
    web.get().uri("/.well-known/jwks.json").exchange().expectStatus().isOk()
        .expectHeader().valueEquals(HttpHeaders.CACHE_CONTROL, "max-age=300, public");
  }

  private org.springframework.test.web.reactive.server.WebTestClient plainClient() {
    String port = context.getEnvironment().getProperty("local.server.port");
    return org.springframework.test.web.reactive.server.WebTestClient.bindToServer()
        .baseUrl("http://127.0.0.1:" + port)
        .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(16 * 1024 * 1024))
        .build();
  }

  private static void assertSecurityHeaders(String exchange, HttpHeaders headers) {
    // The browser pages (hosted checkout, console, page assets) carry the pages' own strict policy (ADR 0098).
    boolean page = exchange.matches("GET /(assets/[^ ]+|checkout/[^/ ]+|console) -> 200.*");
    EXPECTED.forEach((name, value) -> assertThat(headers.getFirst(name)).as("%s: %s", exchange, name)
        .isEqualTo(page && name.equals("Content-Security-Policy") ? PageAssets.CONTENT_SECURITY_POLICY : value));
    assertThat(headers.getFirst(HttpHeaders.CACHE_CONTROL)).as("%s: Cache-Control", exchange).isNotNull();
  }

  /** {method, concrete path} for every (method, pattern) of every annotated or actuator handler mapping. */
  private List<String[]> routes() {
    List<String[]> routes = new ArrayList<>();
    for (RequestMappingInfoHandlerMapping mapping : context.getBeansOfType(RequestMappingInfoHandlerMapping.class).values()) {
      for (RequestMappingInfo info : mapping.getHandlerMethods().keySet()) {
        Set<RequestMethod> methods = info.getMethodsCondition().getMethods();
        for (PathPattern pattern : info.getPatternsCondition().getPatterns()) {
          // Actuator's health/{*path} must name a real group; other variables take any value.
          String path = pattern.getPatternString().replace("/health/{*path}", "/health/liveness")
              .replaceAll("\\{\\*?[^/}]+}", "x");
          for (RequestMethod method : methods.isEmpty() ? Set.of(RequestMethod.GET) : methods) {
            routes.add(new String[] {method.name(), path});
          }
        }
      }
    }
    return routes;
  }
}
