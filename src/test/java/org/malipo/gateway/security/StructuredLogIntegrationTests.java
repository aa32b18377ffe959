package org.malipo.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The console log is one ECS JSON object per line (ADR 0051), request-path lines carry
 * {@code request_id} and {@code merchant_id}, and tokens never appear: neither a valid token
 * refused for its scope nor a forged one sent as a Bearer credential.
 */
@ExtendWith(OutputCaptureExtension.class)
class StructuredLogIntegrationTests extends IntegrationTest {

  private static final Logger log = LoggerFactory.getLogger("org.malipo.gateway.test");

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;

  @Test
  void aRefusedRequestLogsOneJsonLineWithRequestAndMerchantButNoToken(CapturedOutput output) {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:read");
    web.get().uri("/v1/ledger/trial_balance").header("X-Request-Id", "req-log-test-1")
        .headers(h -> h.setBearerAuth(merchant.token()))
        .exchange().expectStatus().isForbidden();

    JsonNode line = lineContaining(output, "req-log-test-1");
    assertThat(line.get("message").asString()).contains("access refused: insufficient_scope");
    assertThat(line.get("merchant_id").asString()).isEqualTo(merchant.merchantId());
    assertThat(line.get("log").get("level").asString()).isEqualTo("INFO");
    assertThat(output.getAll()).doesNotContain(merchant.token());
  }

  @Test
  void aForgedTokenIsLoggedAsRefusedWithoutTheToken(CapturedOutput output) {
    String forged = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjbGlfZm9yZ2VkIiwibWlkIjoibWVyX290aGVyIn0.";
    web.get().uri("/v1/balance").header("X-Request-Id", "req-log-test-2")
        .headers(h -> h.setBearerAuth(forged))
        .exchange().expectStatus().isUnauthorized();

    JsonNode line = lineContaining(output, "req-log-test-2");
    assertThat(line.get("message").asString()).contains("access refused: invalid_token");
    assertThat(output.getAll()).doesNotContain(forged).doesNotContain("eyJhbGciOiJub25lIn0");
  }

  @Test
  void theRequestContextFollowsARequestAcrossThreadsIntoTheLog(CapturedOutput output) {
    Mono.just("work")
        .publishOn(Schedulers.parallel())
        // As on the request path: handle (and tap) restore the request's log context (api.LogContext).
        .handle((work, sink) -> {
          log.warn("hopped thread, Authorization: Bearer abc.def.ghi, card 4242424242424242");
          sink.next(work);
        })
        .contextWrite(ctx -> ctx.put("request_id", "req-log-test-3").put("merchant_id", "mer_log_test"))
        .block(Duration.ofSeconds(10));

    JsonNode line = lineContaining(output, "req-log-test-3");
    assertThat(line.get("merchant_id").asString()).isEqualTo("mer_log_test");
    assertThat(line.get("message").asString()).doesNotContain("abc.def.ghi").doesNotContain("4242424242424242")
        .contains("[redacted]").contains("[redacted-pan]");
  }

  /** The one JSON log line that mentions {@code requestId} (every line must be JSON). */
  private JsonNode lineContaining(CapturedOutput output, String requestId) {
    List<String> lines = output.getOut().lines().filter(line -> line.startsWith("{")).toList();
    List<JsonNode> matching = lines.stream().map(json::readTree)
        .filter(node -> node.has("request_id") && node.get("request_id").asString().equals(requestId))
        .toList();
    assertThat(matching).as("JSON log lines with request_id %s in:%n%s", requestId, output.getOut()).hasSize(1);
    return matching.getFirst();
  }
}
