package org.malipo.gateway.auth;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.springframework.http.HttpHeaders;
import org.springframework.util.MultiValueMap;

/**
 * A parsed client-credentials token request (RFC 6749 §4.4.2) with its client authentication
 * (§2.3.1: HTTP Basic, or {@code client_id} and {@code client_secret} in the form, never both).
 *
 * @param clientId the client's id
 * @param clientSecret the client's secret
 * @param scopes the requested scopes, or {@code null} for all of the client's
 */
record TokenRequest(String clientId, String clientSecret, Set<String> scopes) {

  static final String CLIENT_CREDENTIALS = "client_credentials";

  @Override
  public String toString() {
    return "TokenRequest[clientId=" + clientId + ", scopes=" + scopes + "]";
  }

  /**
   * Reads a request.
   *
   * @param headers the request headers ({@code Authorization})
   * @param form the decoded form body
   * @throws ApiProblem {@code 400 invalid_request} (missing {@code grant_type}, a repeated
   *     parameter, two authentication methods), {@code 400 unsupported_grant_type},
   *     {@code 400 invalid_scope} (an empty {@code scope}), {@code 401 invalid_client} (no or
   *     unreadable client credentials)
   */
  static TokenRequest parse(HttpHeaders headers, MultiValueMap<String, String> form) {
    for (var entry : form.entrySet()) {
      if (entry.getValue().size() > 1) {
        // RFC 6749 §3.2: parameters must not be included more than once.
        throw ApiProblem.param(ProblemCode.INVALID_REQUEST, entry.getKey(),
            "The parameter '" + entry.getKey() + "' is repeated.");
      }
    }
    String grantType = form.getFirst("grant_type");
    if (grantType == null || grantType.isBlank()) {
      throw ApiProblem.param(ProblemCode.INVALID_REQUEST, "grant_type", "The parameter 'grant_type' is required.");
    }
    if (!CLIENT_CREDENTIALS.equals(grantType)) {
      throw ApiProblem.param(ProblemCode.UNSUPPORTED_GRANT_TYPE, "grant_type",
          "Only grant_type=client_credentials is supported.");
    }
    String[] credentials = credentials(headers, form);
    return new TokenRequest(credentials[0], credentials[1], scopes(form.getFirst("scope")));
  }

  private static Set<String> scopes(String scope) {
    if (scope == null) {
      return null;
    }
    Set<String> requested = new LinkedHashSet<>();
    for (String token : scope.strip().split(" +")) {
      if (!token.isEmpty()) {
        requested.add(token);
      }
    }
    if (requested.isEmpty()) {
      throw ApiProblem.param(ProblemCode.INVALID_SCOPE, "scope", "The parameter 'scope' is empty.");
    }
    return requested;
  }

  private static String[] credentials(HttpHeaders headers, MultiValueMap<String, String> form) {
    List<String> authorization = headers.getOrEmpty(HttpHeaders.AUTHORIZATION);
    String formId = form.getFirst("client_id");
    String formSecret = form.getFirst("client_secret");
    if (authorization.size() > 1) {
      throw ApiProblem.of(ProblemCode.INVALID_REQUEST, "Send one Authorization header.");
    }
    if (authorization.isEmpty()) {
      if (formId == null || formId.isEmpty() || formSecret == null || formSecret.isEmpty()) {
        throw ApiClients.invalidClient();
      }
      return new String[] {formId, formSecret};
    }
    if (formSecret != null) {
      throw ApiProblem.of(ProblemCode.INVALID_REQUEST,
          "Authenticate with either HTTP Basic or client_secret in the body, not both.");
    }
    String[] basic = basic(authorization.getFirst());
    if (formId != null && !formId.equals(basic[0])) {
      throw ApiProblem.of(ProblemCode.INVALID_REQUEST, "client_id differs from the HTTP Basic user.");
    }
    return basic;
  }

  /** RFC 6749 §2.3.1 / RFC 7617: base64 of form-urlencoded id, ':', form-urlencoded secret. */
  private static String[] basic(String authorization) {
    if (authorization.length() < 7 || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      throw ApiClients.invalidClient();
    }
    try {
      String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()),
          StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      if (colon <= 0 || colon == decoded.length() - 1) {
        throw ApiClients.invalidClient();
      }
      return new String[] {
          URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8),
          URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8)};
    } catch (IllegalArgumentException e) {
      throw ApiClients.invalidClient();
    }
  }
}
