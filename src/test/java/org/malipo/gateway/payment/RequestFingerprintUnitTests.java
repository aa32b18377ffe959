package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.common.KeyedHashes;
import tools.jackson.databind.JsonNode;

class RequestFingerprintUnitTests {

  private static final String ROUTE = "POST /v1/payments";

  private final KeyedHashes hashes = new KeyedHashes("a-test-fingerprint-key");
  private StrictJson json;

  @BeforeEach
  void strictJson() throws ReflectiveOperationException {
    Constructor<StrictJson> constructor = StrictJson.class.getDeclaredConstructor();
    constructor.setAccessible(true); // package-private: the gateway makes exactly one, as a bean
    json = constructor.newInstance();
  }

  private static String card(String number, int month, int year, String cvc, long amount) {
    return """
        {"amount": %d, "currency": "KES", "reference": "order-1", "metadata": {"cart": "c-1"},
         "payment_method": {"type": "card", "number": "%s", "exp_month": %d, "exp_year": %d, "cvc": "%s"}}"""
        .formatted(amount, number, month, year, cvc);
  }

  private JsonNode tree(String body) {
    return json.readObject(body.getBytes(StandardCharsets.UTF_8));
  }

  private String fingerprint(String body) {
    return RequestFingerprint.of(hashes, json, ROUTE, tree(body));
  }

  @Test
  void hashesNoCardNumberExpiryOrCvcButTheCardToken() {
    JsonNode body = tree(card("4242424242424242", 7, 2031, "987", 1_500));
    String text = RequestFingerprint.text(hashes, json, ROUTE, body);
    assertThat(text).doesNotContain("4242424242424242").doesNotContain("987").doesNotContain("2031")
        .doesNotContain("cvc").doesNotContain("exp_month").doesNotContain("exp_year").doesNotContain("\"number\"");
    // The token is the card's fingerprint that the payment keeps anyway (MaskedCard).
    assertThat(text).startsWith(ROUTE + "\n")
        .contains("\"" + RequestFingerprint.CARD_TOKEN + "\":\"" + hashes.of("4242424242424242") + "\"")
        .contains("\"amount\":1500").contains("\"reference\":\"order-1\"").contains("\"cart\":\"c-1\"");
    // The parsed body itself is left as it was: binding still needs the card.
    assertThat(body.get("payment_method").get("cvc").asString()).isEqualTo("987");
  }

  @Test
  void theSameCardWithAnotherExpiryOrCvcIsTheSameRequestAndAnythingElseIsNot() {
    String first = fingerprint(card("4242424242424242", 12, 2030, "123", 1_500));
    assertThat(fingerprint(card("4242424242424242", 1, 2032, "4567", 1_500))).isEqualTo(first);
    assertThat(fingerprint(card("5555555555554444", 12, 2030, "123", 1_500))).isNotEqualTo(first);
    assertThat(fingerprint(card("4242424242424242", 12, 2030, "123", 1_501))).isNotEqualTo(first);
    assertThat(RequestFingerprint.of(hashes, json, "POST /v1/other", tree(card("4242424242424242", 12, 2030, "123", 1_500))))
        .isNotEqualTo(first);
  }

  @Test
  void mobileMoneyIsHashedAsSent() {
    String body = """
        {"amount": 1000, "currency": "KES", "payment_method": {"type": "mobile_money", "operator": "mpesa",
         "msisdn": "+254712345678"}}""";
    assertThat(RequestFingerprint.text(hashes, json, ROUTE, tree(body))).isEqualTo(ROUTE + "\n" + json.canonical(tree(body)));
  }
}
