package org.malipo.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.SecondInstance;
import org.malipo.gateway.support.TestMerchants;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * The console fails closed when its session store (Redis) is down: a login and a request with a
 * session cookie answer {@code 503 service_unavailable} with {@code Retry-After}, never a 500 and
 * never a session-less pass; the session is still there once Redis answers again (here: on the
 * instance whose Redis is up).
 */
class ConsoleRedisDownIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;

  @Test
  void loginAndSessionRequestsAnswer503WhileRedisIsDown() throws IOException {
    String merchant = TestMerchants.create(db, clients, web, "payments:read").merchantId();
    ApiClients.Credentials admin = clients.register(merchant, List.of("admin")).block(DB);
    Map<String, String> credentials = Map.of("client_id", admin.clientId(), "client_secret", admin.clientSecret());
    String session = web.post().uri("/console/session").contentType(MediaType.APPLICATION_JSON).bodyValue(credentials)
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseHeaders()
        .getOrEmpty("Set-Cookie").stream().filter(c -> c.startsWith("malipo_console=")).findFirst().orElseThrow()
        .substring("malipo_console=".length()).split(";")[0];

    WebTestClient deadRedis = SecondInstance.clientOf(SecondInstance.startVariant("--spring.data.redis.port=" + deadPort()));

    unavailable(deadRedis.post().uri("/console/session").contentType(MediaType.APPLICATION_JSON).bodyValue(credentials)
        .exchange().expectStatus().isEqualTo(503).expectHeader().exists("Retry-After").expectBody().returnResult());
    unavailable(deadRedis.get().uri("/v1/exceptions?status=open").cookie("malipo_console", session).exchange()
        .expectStatus().isEqualTo(503).expectHeader().exists("Retry-After").expectBody().returnResult());
    unavailable(deadRedis.get().uri("/console/session").cookie("malipo_console", session).exchange()
        .expectStatus().isEqualTo(503).expectBody().returnResult());

    web.get().uri("/v1/exceptions?status=open").cookie("malipo_console", session).exchange().expectStatus().isOk();
  }

  private void unavailable(EntityExchangeResult<byte[]> result) {
    assertThat(json.readTree(result.getResponseBody()).get("code").asString()).isEqualTo("service_unavailable");
  }

  private static int deadPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
