package org.malipo.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.IntegrationTest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /actuator/info} says what runs: the build (spring-boot-maven-plugin's build-info goal)
 * and the commit (git-commit-id-maven-plugin's git.properties), so an operator can tell which
 * version each pod serves.
 */
class ActuatorInfoIntegrationTests extends IntegrationTest {

  @Test
  void showsTheBuildAndTheCommit() {
    byte[] body = web.get().uri("/actuator/info").exchange().expectStatus().isOk()
        .expectBody().returnResult().getResponseBody();
    JsonNode info = JsonMapper.builder().build().readTree(body);

    assertThat(info.at("/build/artifact").asString()).isEqualTo("malipo-gateway");
    assertThat(info.at("/build/version").asString()).isNotBlank();
    assertThat(info.at("/build/time").asString()).isNotBlank();
    assertThat(info.at("/git/commit/id").asString()).matches("[0-9a-f]{7,40}");
    assertThat(info.at("/git/commit/time").asString()).isNotBlank();
  }
}
