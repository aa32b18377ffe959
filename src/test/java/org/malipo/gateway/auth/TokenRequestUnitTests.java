package org.malipo.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.springframework.http.HttpHeaders;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

/** Parsing of client-credentials token requests (RFC 6749 §2.3.1, §3.2, §4.4.2). */
class TokenRequestUnitTests {

  @Test
  void readsHttpBasicWithFormUrlEncodedParts() {
    HttpHeaders headers = basic("my%3Aclient", "s%25cret+x");

    TokenRequest request = TokenRequest.parse(headers, form("grant_type", "client_credentials"));

    assertThat(request.clientId()).isEqualTo("my:client");
    assertThat(request.clientSecret()).isEqualTo("s%cret x");
    assertThat(request.scopes()).isNull();
  }

  @Test
  void readsClientCredentialsFromTheForm() {
    MultiValueMap<String, String> form = form("grant_type", "client_credentials");
    form.add("client_id", "cli_a");
    form.add("client_secret", "sk_a");
    form.add("scope", "payments:read  payments:write");

    TokenRequest request = TokenRequest.parse(new HttpHeaders(), form);

    assertThat(request.clientId()).isEqualTo("cli_a");
    assertThat(request.scopes()).containsExactly("payments:read", "payments:write");
  }

  @Test
  void refusesTwoAuthenticationMethods() {
    MultiValueMap<String, String> form = form("grant_type", "client_credentials");
    form.add("client_secret", "sk_a");

    assertProblem(() -> TokenRequest.parse(basic("cli_a", "sk_a"), form), ProblemCode.INVALID_REQUEST);
  }

  @Test
  void refusesARepeatedParameter() {
    MultiValueMap<String, String> form = form("grant_type", "client_credentials");
    form.add("grant_type", "client_credentials");

    assertProblem(() -> TokenRequest.parse(basic("cli_a", "sk_a"), form), ProblemCode.INVALID_REQUEST);
  }

  @Test
  void refusesAMissingGrantType() {
    assertProblem(() -> TokenRequest.parse(basic("cli_a", "sk_a"), new LinkedMultiValueMap<>()),
        ProblemCode.INVALID_REQUEST);
  }

  @Test
  void refusesAnotherGrantType() {
    assertProblem(() -> TokenRequest.parse(basic("cli_a", "sk_a"), form("grant_type", "password")),
        ProblemCode.UNSUPPORTED_GRANT_TYPE);
  }

  @Test
  void refusesAnEmptyScope() {
    MultiValueMap<String, String> form = form("grant_type", "client_credentials");
    form.add("scope", " ");

    assertProblem(() -> TokenRequest.parse(basic("cli_a", "sk_a"), form), ProblemCode.INVALID_SCOPE);
  }

  @Test
  void refusesMissingOrUnreadableCredentialsAsInvalidClient() {
    MultiValueMap<String, String> form = form("grant_type", "client_credentials");
    HttpHeaders garbage = new HttpHeaders();
    garbage.set(HttpHeaders.AUTHORIZATION, "Basic !!!not-base64");
    HttpHeaders noColon = new HttpHeaders();
    noColon.set(HttpHeaders.AUTHORIZATION, "Basic " + Base64.getEncoder().encodeToString("abc".getBytes()));

    assertProblem(() -> TokenRequest.parse(new HttpHeaders(), form), ProblemCode.INVALID_CLIENT);
    assertProblem(() -> TokenRequest.parse(garbage, form), ProblemCode.INVALID_CLIENT);
    assertProblem(() -> TokenRequest.parse(noColon, form), ProblemCode.INVALID_CLIENT);
  }

  private static void assertProblem(Runnable call, ProblemCode code) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiProblem.class,
        problem -> assertThat(problem.code()).isEqualTo(code));
  }

  private static HttpHeaders basic(String user, String password) {
    HttpHeaders headers = new HttpHeaders();
    headers.set(HttpHeaders.AUTHORIZATION, "Basic "
        + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    return headers;
  }

  private static MultiValueMap<String, String> form(String name, String value) {
    MultiValueMap<String, String> form = new LinkedMultiValueMap<>();
    form.add(name, value);
    return form;
  }
}
