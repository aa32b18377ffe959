package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * Every kind of bad input gets its status and stable {@code code} as an RFC 9457 problem, and
 * leaves no payment, idempotency key, outbox row or posting behind.
 */
class PaymentBadInputIntegrationTests extends IntegrationTest {

  private static final String CARD = "\"payment_method\": {\"type\": \"card\", \"number\": \"4242424242424242\","
      + " \"exp_month\": 12, \"exp_year\": 2030, \"cvc\": \"123\"}";
  private static final String MPESA = "\"payment_method\": {\"type\": \"mobile_money\", \"operator\": \"mpesa\","
      + " \"msisdn\": \"%s\"}";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
  }

  static Stream<Arguments> badBodies() {
    return Stream.of(
        Arguments.of("unknown field", "{\"amount\": 100, \"currency\": \"KES\", \"status\": \"succeeded\", " + CARD + "}",
            400, "parameter_unknown", "status"),
        Arguments.of("client-set provider", "{\"amount\": 100, \"currency\": \"KES\", \"provider\": \"x\", " + CARD + "}",
            400, "parameter_unknown", "provider"),
        Arguments.of("fractional amount", "{\"amount\": 100.5, \"currency\": \"KES\", " + CARD + "}",
            400, "amount_invalid", "amount"),
        Arguments.of("string amount", "{\"amount\": \"100\", \"currency\": \"KES\", " + CARD + "}",
            400, "amount_invalid", "amount"),
        Arguments.of("zero amount", "{\"amount\": 0, \"currency\": \"KES\", " + CARD + "}",
            400, "amount_invalid", "amount"),
        Arguments.of("missing amount", "{\"currency\": \"KES\", " + CARD + "}",
            400, "parameter_missing", "amount"),
        Arguments.of("unsupported currency", "{\"amount\": 100, \"currency\": \"JPY\", " + CARD + "}",
            400, "currency_unsupported", "currency"),
        Arguments.of("wrong type", "{\"amount\": 100, \"currency\": 404, " + CARD + "}",
            400, "parameter_invalid", "currency"),
        Arguments.of("Luhn failure", "{\"amount\": 100, \"currency\": \"KES\", " + CARD.replace("4242424242424242", "4242424242424241") + "}",
            400, "parameter_invalid", "payment_method.number"),
        Arguments.of("past expiry", "{\"amount\": 100, \"currency\": \"KES\", " + CARD.replace("2030", "2020") + "}",
            400, "parameter_invalid", "payment_method.exp_year"),
        Arguments.of("amount 2^63", "{\"amount\": 9223372036854775808, \"currency\": \"KES\", " + CARD + "}",
            400, "amount_invalid", "amount"),
        Arguments.of("amount below -2^63", "{\"amount\": -9223372036854775809, \"currency\": \"KES\", " + CARD + "}",
            400, "amount_invalid", "amount"),
        Arguments.of("amount 10^30 written as an integer",
            "{\"amount\": 1000000000000000000000000000000, \"currency\": \"KES\", " + CARD + "}",
            400, "amount_invalid", "amount"),
        Arguments.of("card number in metadata",
            "{\"amount\": 100, \"currency\": \"KES\", \"metadata\": {\"order_note\": \"card 4000000000000002\"}, "
                + CARD + "}",
            400, "parameter_invalid", "metadata.order_note"),
        Arguments.of("card number with spaces in description",
            "{\"amount\": 100, \"currency\": \"KES\", \"description\": \"paid with 5555 5555 5555 4444\", " + CARD + "}",
            400, "parameter_invalid", "description"),
        Arguments.of("card number with dashes in reference",
            "{\"amount\": 100, \"currency\": \"KES\", \"reference\": \"4242-4242-4242-4242\", " + CARD + "}",
            400, "parameter_invalid", "reference"),
        Arguments.of("MSISDN with an extension letter",
            "{\"amount\": 1000, \"currency\": \"KES\", " + MPESA.formatted("0712345678x") + "}",
            400, "parameter_invalid", "payment_method.msisdn"),
        Arguments.of("MSISDN with a spelt-out extension",
            "{\"amount\": 1000, \"currency\": \"KES\", " + MPESA.formatted("+254 712 345 678 ext 5") + "}",
            400, "parameter_invalid", "payment_method.msisdn"),
        Arguments.of("malformed JSON", "{\"amount\": 100, \"currency\": ", 400, "invalid_json", null),
        Arguments.of("duplicate keys", "{\"amount\": 100, \"amount\": 200, \"currency\": \"KES\", " + CARD + "}",
            400, "invalid_json", null),
        Arguments.of("nesting deeper than 32", "{\"metadata\": " + "{\"a\":".repeat(33) + "1" + "}".repeat(33) + "}",
            400, "invalid_json", null),
        Arguments.of("empty body", "", 400, "invalid_json", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badBodies")
  void rejectsBadBodiesWithAProblemAndLeavesNothingBehind(String name, String body, int status, String code, String param) {
    var expectation = web.post().uri("/v1/payments")
        .headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchange()
        .expectStatus().isEqualTo(status)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.code").isEqualTo(code)
        .jsonPath("$.status").isEqualTo(status)
        .jsonPath("$.type").exists()
        .jsonPath("$.title").exists()
        .jsonPath("$.request_id").exists();
    if (param != null) {
      expectation.jsonPath("$.param").isEqualTo(param);
    }
    assertNothingStored();
  }

  @Test
  void requiresAnIdempotencyKey() {
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 100, \"currency\": \"KES\", " + CARD + "}")
        .exchange()
        .expectStatus().isBadRequest()
        .expectBody().jsonPath("$.code").isEqualTo("idempotency_key_missing");
    assertNothingStored();
  }

  @Test
  void refusesABodyOver64KiB() {
    String padding = "x".repeat(70 * 1024);
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"amount\": 100, \"currency\": \"KES\", \"description\": \"" + padding + "\", " + CARD + "}")
        .exchange()
        .expectStatus().isEqualTo(413)
        .expectBody().jsonPath("$.code").isEqualTo("payload_too_large");
    assertNothingStored();
  }

  @Test
  void refusesANonJsonContentType() {
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.TEXT_PLAIN)
        .bodyValue("amount=100")
        .exchange()
        .expectStatus().isEqualTo(415)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.code").isEqualTo("unsupported_media_type");
    assertNothingStored();
  }

  private void assertNothingStored() {
    String merchantId = merchant.merchantId();
    long rows = db.sql("""
            SELECT (SELECT count(*) FROM payments WHERE merchant_id = :m)
                 + (SELECT count(*) FROM idempotency_keys WHERE merchant_id = :m)
                 + (SELECT count(*) FROM outbox WHERE merchant_id = :m)
                 + (SELECT count(*) FROM ledger_accounts WHERE id LIKE 'merchant:' || :m || ':%')""")
        .bind("m", merchantId).map(row -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10));
    assertThat(rows).isZero();
  }
}
