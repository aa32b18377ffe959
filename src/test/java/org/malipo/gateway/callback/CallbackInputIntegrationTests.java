package org.malipo.gateway.callback;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Rail callbacks are untrusted input (OWASP API10): bodies are
 * size-limited before anything is stored, and read with the API's strict JSON rules, so a body
 * that two parsers could read differently is rejected instead of applied.
 */
class CallbackInputIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final Duration VERDICT_WITHIN = Duration.ofSeconds(20);

  @Autowired private DatabaseClient db;
  @Autowired private CallbackProperties callbacks;

  private static String stkCallback(String checkoutRequestId, String resultCodes, String extra) {
    return """
        {"Body":{"stkCallback":{"MerchantRequestID":"m-1","CheckoutRequestID":"%s",%s,"ResultDesc":"ok"%s,
        "CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.00},{"Name":"PhoneNumber","Value":254708374149}]}}}}"""
        .formatted(checkoutRequestId, resultCodes, extra);
  }

  @Test
  void aCallbackWithDuplicateKeysIsRejectedNotReadAsTheLastValue() {
    // A lenient parser keeps the last ResultCode (0, success); another might keep the first (a decline).
    String reference = "ws_CO_dup_" + UUID.randomUUID();
    mpesa(stkCallback(reference, "\"ResultCode\":1032,\"ResultCode\":0", "")).expectStatus().isOk();

    assertThat(verdictOf(reference)).isEqualTo("rejected");
    assertThat(reasonOf(reference)).contains("malformed");
  }

  @Test
  void aCallbackNestedDeeperThanTheApiAllowsIsRejected() {
    String reference = "ws_CO_deep_" + UUID.randomUUID();
    String deep = ",\"x\":" + "[".repeat(40) + "]".repeat(40);
    mpesa(stkCallback(reference, "\"ResultCode\":0", deep)).expectStatus().isOk();

    assertThat(verdictOf(reference)).isEqualTo("rejected");
  }

  @Test
  void aWellFormedCallbackForAnUnknownReferenceStillGetsThatFarAndIsKeptAsOrphan() {
    String reference = "ws_CO_fine_" + UUID.randomUUID();
    mpesa(stkCallback(reference, "\"ResultCode\":0", "")).expectStatus().isOk();

    assertThat(verdictOf(reference)).isEqualTo("orphan");
  }

  @Test
  void anOversizedCallbackIsRefusedBeforeAnythingIsStored() {
    String marker = "oversized-" + UUID.randomUUID();
    String body = stkCallback(marker, "\"ResultCode\":0", ",\"pad\":\"" + "x".repeat(70 * 1024) + "\"");

    mpesa(body).expectStatus().isEqualTo(413).expectBody().jsonPath("$.code").isEqualTo("payload_too_large");

    assertThat(db.sql("SELECT count(*) FROM inbox WHERE body LIKE :m").bind("m", "%" + marker + "%")
        .map(row -> row.get(0, Long.class)).one().block(DB)).isZero();
  }

  private WebTestClient.ResponseSpec mpesa(String body) {
    return web.post().uri("/v1/callbacks/mpesa/" + callbacks.mpesaToken()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body.getBytes(StandardCharsets.UTF_8)).exchange();
  }

  private String verdictOf(String fragment) {
    return column("verdict", fragment);
  }

  private String reasonOf(String fragment) {
    return column("verdict_detail", fragment);
  }

  private String column(String column, String fragment) {
    long deadline = System.nanoTime() + VERDICT_WITHIN.toNanos();
    while (System.nanoTime() < deadline) {
      String value = db.sql("SELECT COALESCE(" + column + ", '') FROM inbox WHERE body LIKE :f AND verdict IS NOT NULL "
              + "ORDER BY id DESC LIMIT 1")
          .bind("f", "%" + fragment + "%").map(row -> row.get(0, String.class)).one().block(DB);
      if (value != null) {
        return value;
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
    return null;
  }
}
