package org.malipo.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.test.StepVerifier;

/** The token endpoint, the JWK set, the Bearer filter and {@code POST /v1/merchants}, end to end. */
class AuthIntegrationTests extends IntegrationTest {

  private static final String OPERATOR = "mer_auth_it_operator";
  private static final String ADMIN_CLIENT = "auth_it_admin";
  private static final String ADMIN_SECRET = "sk_auth_it_admin_secret";
  private static final String PAYMENTS_CLIENT = "auth_it_payments";
  private static final String PAYMENTS_SECRET = "sk_auth_it_payments_secret";
  private static final String REVOKED_CLIENT = "auth_it_revoked";
  private static final String REVOKED_SECRET = "sk_auth_it_revoked_secret";
  private static final ParameterizedTypeReference<Map<String, Object>> MAP = new ParameterizedTypeReference<>() {};

  @Autowired private DatabaseClient db;
  @Autowired private ApiClients clients;

  @BeforeEach
  void seedClients() {
    var seed = db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Auth IT Operator', 'KE') "
            + "ON CONFLICT (id) DO NOTHING")
        .bind("id", OPERATOR)
        .then()
        .then(clients.registerIfAbsent(ADMIN_CLIENT, OPERATOR, ADMIN_SECRET, List.of("admin", "payments:read")))
        .then(clients.registerIfAbsent(PAYMENTS_CLIENT, OPERATOR, PAYMENTS_SECRET,
            List.of("payments:write", "payments:read", "refunds:write")))
        .then(clients.registerIfAbsent(REVOKED_CLIENT, OPERATOR, REVOKED_SECRET, List.of("payments:read")))
        .then(db.sql("UPDATE api_clients SET revoked_at = now() WHERE client_id = :id").bind("id", REVOKED_CLIENT).then());
    StepVerifier.create(seed).expectComplete().verify(Duration.ofSeconds(10));
  }

  @Test
  void issuesAnEs256AccessTokenForHttpBasicCredentials() throws Exception {
    Map<String, Object> body = tokenCall(ADMIN_CLIENT, ADMIN_SECRET, form())
        .expectStatus().isOk()
        .expectHeader().valueEquals(HttpHeaders.CACHE_CONTROL, "no-store")
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
        .expectBody(MAP).returnResult().getResponseBody();

    assertThat(body).containsEntry("token_type", "Bearer").containsEntry("expires_in", 900)
        .containsEntry("scope", "admin payments:read");
    SignedJWT jwt = SignedJWT.parse((String) body.get("access_token"));
    assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    assertThat(jwt.getHeader().getType().getType()).isEqualTo("at+jwt");
    JWTClaimsSet claims = jwt.getJWTClaimsSet();
    assertThat(claims.getSubject()).isEqualTo(ADMIN_CLIENT);
    assertThat(claims.getStringClaim("mid")).isEqualTo(OPERATOR);
    assertThat(claims.getIssuer()).isEqualTo("https://malipo.local");
    assertThat(claims.getAudience()).containsExactly("malipo-api");
  }

  @Test
  void acceptsClientCredentialsInTheFormBody() {
    MultiValueMap<String, String> form = form();
    form.add("client_id", PAYMENTS_CLIENT);
    form.add("client_secret", PAYMENTS_SECRET);

    web.post().uri("/v1/oauth/token")
        .contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .body(BodyInserters.fromFormData(form))
        .exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.scope").isEqualTo("payments:write payments:read refunds:write");
  }

  @Test
  void refusesAWrongSecretWithInvalidClientAndABasicChallenge() {
    tokenCall(ADMIN_CLIENT, "sk_wrong", form())
        .expectStatus().isUnauthorized()
        .expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"malipo\"")
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.code").isEqualTo("invalid_client").jsonPath("$.status").isEqualTo(401);
  }

  @Test
  void refusesAnUnknownClientLikeAWrongSecret() {
    tokenCall("cli_nobody", ADMIN_SECRET, form())
        .expectStatus().isUnauthorized()
        .expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"malipo\"")
        .expectBody().jsonPath("$.code").isEqualTo("invalid_client");
  }

  @Test
  void refusesARevokedClient() {
    tokenCall(REVOKED_CLIENT, REVOKED_SECRET, form())
        .expectStatus().isUnauthorized()
        .expectBody().jsonPath("$.code").isEqualTo("invalid_client");
  }

  @Test
  void refusesAnUnsupportedGrantType() {
    MultiValueMap<String, String> form = new LinkedMultiValueMap<>();
    form.add("grant_type", "password");

    tokenCall(ADMIN_CLIENT, ADMIN_SECRET, form)
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("unsupported_grant_type");
  }

  @Test
  void refusesAMissingGrantTypeAsInvalidRequest() {
    tokenCall(ADMIN_CLIENT, ADMIN_SECRET, new LinkedMultiValueMap<>())
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("invalid_request");
  }

  @Test
  void refusesATokenRequestThatIsNotAForm() {
    web.post().uri("/v1/oauth/token")
        .headers(h -> h.setBasicAuth(ADMIN_CLIENT, ADMIN_SECRET))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"grant_type\":\"client_credentials\"}")
        .exchange()
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("invalid_request");
  }

  @Test
  void narrowsTheTokenToARequestedSubsetOfScopes() throws Exception {
    MultiValueMap<String, String> form = form();
    form.add("scope", "payments:read");

    Map<String, Object> body = tokenCall(PAYMENTS_CLIENT, PAYMENTS_SECRET, form)
        .expectStatus().isOk()
        .expectBody(MAP).returnResult().getResponseBody();

    assertThat(body).containsEntry("scope", "payments:read");
    assertThat(SignedJWT.parse((String) body.get("access_token")).getJWTClaimsSet().getStringClaim("scope"))
        .isEqualTo("payments:read");
  }

  @Test
  void refusesAScopeTheClientDoesNotHold() {
    MultiValueMap<String, String> form = form();
    form.add("scope", "payments:read admin");

    tokenCall(PAYMENTS_CLIENT, PAYMENTS_SECRET, form)
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("invalid_scope");
  }

  @Test
  void publishesTheKidOfIssuedTokensInTheJwkSet() throws Exception {
    String kid = SignedJWT.parse(token(ADMIN_CLIENT, ADMIN_SECRET)).getHeader().getKeyID();

    web.get().uri("/.well-known/jwks.json")
        .exchange()
        .expectStatus().isOk()
        .expectHeader().valueEquals(HttpHeaders.CACHE_CONTROL, "max-age=300, public")
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
        .expectBody()
        .jsonPath("$.keys[?(@.kid == '" + kid + "')].kty").isEqualTo("EC")
        .jsonPath("$.keys[?(@.kid == '" + kid + "')].crv").isEqualTo("P-256")
        .jsonPath("$.keys[0].d").doesNotExist();
  }

  @Test
  void letsAnAdminTokenCreateAMerchantWhoseSecretThenGetsAToken() throws Exception {
    Map<String, Object> created = createMerchant(token(ADMIN_CLIENT, ADMIN_SECRET),
        "{\"name\":\"Duka la Mama\",\"country\":\"TZ\"}")
        .expectStatus().isCreated()
        .expectHeader().valueEquals(HttpHeaders.CACHE_CONTROL, "no-store")
        .expectBody(MAP).returnResult().getResponseBody();

    assertThat(created).containsEntry("name", "Duka la Mama").containsEntry("country", "TZ")
        .containsKeys("created_at");
    assertThat((String) created.get("id")).startsWith("mer_");
    assertThat((String) created.get("client_id")).startsWith("cli_");
    assertThat((String) created.get("client_secret")).startsWith("sk_");

    String merchantToken = token((String) created.get("client_id"), (String) created.get("client_secret"));
    JWTClaimsSet claims = SignedJWT.parse(merchantToken).getJWTClaimsSet();
    assertThat(claims.getStringClaim("mid")).isEqualTo(created.get("id"));
    // A new merchant pays out too (issue 21), as the demo merchant does.
    assertThat(claims.getStringClaim("scope"))
        .isEqualTo("payments:write payments:read refunds:write payouts:write payouts:read");
  }

  @Test
  void answersInsufficientScopeToAPaymentsToken() {
    createMerchant(token(PAYMENTS_CLIENT, PAYMENTS_SECRET), "{\"name\":\"Nope\",\"country\":\"KE\"}")
        .expectStatus().isForbidden()
        .expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"insufficient_scope\", scope=\"admin\"")
        .expectBody().jsonPath("$.code").isEqualTo("insufficient_scope");
  }

  @Test
  void challengesARequestWithoutAToken() {
    web.post().uri("/v1/merchants")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"name\":\"Nope\",\"country\":\"KE\"}")
        .exchange()
        .expectStatus().isUnauthorized()
        .expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
        .expectHeader().exists("X-Request-Id")
        .expectBody().jsonPath("$.code").isEqualTo("unauthorized").jsonPath("$.request_id").exists();
  }

  @Test
  void refusesAGarbageTokenAsInvalidToken() {
    createMerchant("garbage.token.value", "{\"name\":\"Nope\",\"country\":\"KE\"}")
        .expectStatus().isUnauthorized()
        .expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")
        .expectBody().jsonPath("$.code").isEqualTo("invalid_token");
  }

  @Test
  void guardsUnroutedV1PathsToo() {
    web.get().uri("/v1/anything-else")
        .exchange()
        .expectStatus().isUnauthorized()
        .expectBody().jsonPath("$.code").isEqualTo("unauthorized");
  }

  @Test
  void refusesAnInvalidCountry() {
    createMerchant(token(ADMIN_CLIENT, ADMIN_SECRET), "{\"name\":\"Duka\",\"country\":\"XX\"}")
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo("country");
  }

  @Test
  void refusesALowerCaseCountry() {
    createMerchant(token(ADMIN_CLIENT, ADMIN_SECRET), "{\"name\":\"Duka\",\"country\":\"ke\"}")
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo("country");
  }

  @Test
  void refusesAnUnknownField() {
    createMerchant(token(ADMIN_CLIENT, ADMIN_SECRET), "{\"name\":\"Duka\",\"country\":\"KE\",\"website\":\"x\"}")
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_unknown").jsonPath("$.param").isEqualTo("website");
  }

  @Test
  void refusesAMissingName() {
    createMerchant(token(ADMIN_CLIENT, ADMIN_SECRET), "{\"country\":\"KE\"}")
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_missing").jsonPath("$.param").isEqualTo("name");
  }

  @Test
  void refusesANameLongerThan100Characters() {
    createMerchant(token(ADMIN_CLIENT, ADMIN_SECRET), "{\"name\":\"" + "a".repeat(101) + "\",\"country\":\"KE\"}")
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("parameter_invalid").jsonPath("$.param").isEqualTo("name");
  }

  private static MultiValueMap<String, String> form() {
    MultiValueMap<String, String> form = new LinkedMultiValueMap<>();
    form.add("grant_type", "client_credentials");
    return form;
  }

  private WebTestClient.ResponseSpec tokenCall(String clientId, String secret, MultiValueMap<String, String> form) {
    return web.post().uri("/v1/oauth/token")
        .headers(h -> h.setBasicAuth(clientId, secret))
        .contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .body(BodyInserters.fromFormData(form))
        .exchange();
  }

  private String token(String clientId, String secret) {
    Map<String, Object> body = tokenCall(clientId, secret, form())
        .expectStatus().isOk()
        .expectBody(MAP).returnResult().getResponseBody();
    return (String) body.get("access_token");
  }

  private WebTestClient.ResponseSpec createMerchant(String bearer, String json) {
    return web.post().uri("/v1/merchants")
        .headers(h -> h.setBearerAuth(bearer))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(json)
        .exchange();
  }
}
