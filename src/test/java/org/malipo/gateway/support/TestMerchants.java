package org.malipo.gateway.support;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.common.Ids;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

/**
 * Object mother for merchants in integration tests: a fresh merchant with an API client, and an
 * access token obtained through the real token endpoint. Test set-up, so it may block.
 */
public final class TestMerchants {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private TestMerchants() {}

  /**
   * A merchant of the test and a token for it.
   *
   * @param merchantId {@code mer_…}
   * @param token a bearer access token with the requested scopes
   */
  public record TestMerchant(String merchantId, String token) {}

  /** A new merchant in Kenya whose client holds {@code scopes}, with a token for all of them. */
  public static TestMerchant create(DatabaseClient db, ApiClients clients, WebTestClient web, String... scopes) {
    String merchantId = Ids.next("mer");
    db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, :name, 'KE')")
        .bind("id", merchantId).bind("name", "Test merchant " + merchantId)
        .then().block(TIMEOUT);
    ApiClients.Credentials credentials = clients.register(merchantId, List.of(scopes)).block(TIMEOUT);
    return new TestMerchant(merchantId, token(web, credentials.clientId(), credentials.clientSecret()));
  }

  /** An access token for a client through {@code POST /v1/oauth/token}. */
  @SuppressWarnings("unchecked")
  public static String token(WebTestClient web, String clientId, String clientSecret) {
    Map<String, Object> answer = web.post().uri("/v1/oauth/token")
        .headers(h -> h.setBasicAuth(clientId, clientSecret))
        .contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .body(BodyInserters.fromFormData("grant_type", "client_credentials"))
        .exchange()
        .expectStatus().isOk()
        .expectBody(Map.class)
        .returnResult().getResponseBody();
    return (String) answer.get("access_token");
  }
}
