package org.malipo.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.PaymentEvents;
import org.malipo.gateway.support.TestDatabase;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * Card data never leaves the request (INVARIANTS.md 14, PCI DSS v4 req. 3 and 10): after card
 * payments (approved, declined and a bad-input one), neither the logs, nor a {@code pg_dump} of
 * the whole database, nor the Kafka events contain the PAN, and nothing stores a CVC.
 */
class CardDataIntegrationTests extends IntegrationTest {

  private static final String PAN = "4242424242424242";
  private static final String DECLINED_PAN = "4000000000000002";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;

  @Test
  void noPanOrCvcInLogsDatabaseOrEvents() throws Exception {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    String paymentId;
    try {
      TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
      paymentId = pay(merchant, PAN, "2030");
      pay(merchant, DECLINED_PAN, "2030");
      web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
          .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
          .bodyValue(body(PAN, "2020")) // expired: a problem answer must not echo the card either
          .exchange().expectStatus().isBadRequest()
          .expectBody(String.class).value(problem -> assertThat(problem).doesNotContain(PAN));
    } finally {
      root.detachAppender(logs);
    }

    List<String> lines = logs.list.stream()
        .map(event -> event.getFormattedMessage() + (event.getThrowableProxy() == null ? ""
            : ThrowableProxyUtil.asString(event.getThrowableProxy())))
        .toList();
    assertThat(lines).noneMatch(line -> line.contains(PAN) || line.contains(DECLINED_PAN));

    String dump = pgDump();
    assertThat(dump).contains(paymentId); // the dump is of the right database
    assertThat(dump).doesNotContain(PAN).doesNotContain(DECLINED_PAN);
    assertThat(dump.toLowerCase(Locale.ROOT)).doesNotContain("\"cvc\"");

    ConsumerRecord<String, String> event = PaymentEvents.await("malipo.payments.v1", paymentId, "payment.succeeded",
            Duration.ofSeconds(20))
        .orElseThrow(() -> new AssertionError("no payment.succeeded event for " + paymentId));
    assertThat(event.value()).doesNotContain(PAN).doesNotContain("\"cvc\"").contains("\"last4\":\"4242\"");
  }

  @Test
  void theIdempotencyFingerprintKnowsTheCardOnlyByItsToken() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    String first = UUID.randomUUID().toString();
    String otherExpiryAndCvc = UUID.randomUUID().toString();
    String otherCard = UUID.randomUUID().toString();
    create(merchant, first, body(PAN, "2030"));
    create(merchant, otherExpiryAndCvc, body(PAN, "2031").replace("\"123\"", "\"4567\""));
    create(merchant, otherCard, body(DECLINED_PAN, "2030"));

    // Equal fingerprints for another expiry and CVC: the stored hash carries nothing of either,
    // so neither can be recovered from it by trying candidates under the key.
    assertThat(fingerprint(merchant, otherExpiryAndCvc)).isEqualTo(fingerprint(merchant, first));
    assertThat(fingerprint(merchant, otherCard)).isNotEqualTo(fingerprint(merchant, first));
  }

  private String fingerprint(TestMerchant merchant, String key) {
    return db.sql("SELECT fingerprint FROM idempotency_keys WHERE merchant_id = :m AND idempotency_key = :k")
        .bind("m", merchant.merchantId()).bind("k", key)
        .map(row -> row.get(0, String.class)).one().block(Duration.ofSeconds(10));
  }

  private void create(TestMerchant merchant, String key, String body) {
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body).exchange().expectStatus().isCreated();
  }

  private String pay(TestMerchant merchant, String pan, String expYear) {
    byte[] answer = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body(pan, expYear)).exchange().expectStatus().isCreated()
        .expectBody().returnResult().getResponseBody();
    assertThat(new String(answer, StandardCharsets.UTF_8)).doesNotContain(pan);
    return json.readTree(answer).get("id").asString();
  }

  private static String body(String pan, String expYear) {
    return """
        {"amount": 1200, "currency": "KES", "payment_method": {"type": "card", "number": "%s",
         "exp_month": 12, "exp_year": %s, "cvc": "123"}}""".formatted(pan, expYear);
  }

  /** The whole test database as pg_dump writes it (schema and data). */
  private static String pgDump() throws IOException, InterruptedException {
    Process process = new ProcessBuilder("pg_dump", "-h", TestDatabase.HOST, "-p", Integer.toString(TestDatabase.PORT),
        "-U", TestDatabase.USER, TestDatabase.name()).redirectErrorStream(true).start();
    String dump = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as(dump.length() > 500 ? dump.substring(0, 500) : dump).isZero();
    return dump;
  }
}
