package org.malipo.gateway.payment;

import java.util.List;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.common.KeyedHashes;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The idempotency fingerprint of a create-payment request: the keyed hash ({@link KeyedHashes},
 * HMAC-SHA256) of the route and the canonical body ({@link StrictJson#canonical}), with the card's
 * {@code number}, {@code exp_month}, {@code exp_year} and {@code cvc} taken out of
 * {@code payment_method} and the card's token put in their place ({@value #CARD_TOKEN}: the keyed
 * hash of the PAN, the same value as {@link MaskedCard#fingerprint()}).
 *
 * <p>Why: the fingerprint is stored with the idempotency key for 24 h (PostgreSQL and Redis). A
 * hash of the whole body would keep the CVC in a form that anyone with the key recovers by trying
 * its 1,000 (Amex 10,000) values, which PCI DSS v4 req. 3.3.1 forbids after authorization, and
 * the expiry with it. The card token tells nothing that the payment row does not already hold.
 *
 * <p>So the same card with the same amount, currency, reference, description and metadata is the
 * same request whatever expiry and CVC come with it: a retry with the same key replays the first
 * answer. Another card, amount, currency or reference is another request: {@code 422
 * idempotency_key_reused} (docs/adr/0056-idempotency-fingerprint-without-card-data.md). Pure CPU.
 */
final class RequestFingerprint {

  /** The field of {@code payment_method} that stands for the card in the hashed text. */
  static final String CARD_TOKEN = "card_token";

  private static final List<String> CARD_DATA = List.of("number", "exp_month", "exp_year", "cvc");

  private RequestFingerprint() {}

  /**
   * The fingerprint of a request body.
   *
   * @param route method and path, e.g. {@code POST /v1/payments}
   * @param body the parsed request object, not changed
   * @return 64 lower-case hex digits
   */
  static String of(KeyedHashes hashes, StrictJson json, String route, JsonNode body) {
    return hashes.of(text(hashes, json, route, body));
  }

  /** The text that is hashed: route, a new line, and the canonical body without card data. */
  static String text(KeyedHashes hashes, StrictJson json, String route, JsonNode body) {
    JsonNode method = body.get("payment_method");
    if (method == null || !method.isObject() || CARD_DATA.stream().noneMatch(method::has)) {
      return route + "\n" + json.canonical(body);
    }
    JsonNode copy = body.deepCopy();
    ObjectNode card = (ObjectNode) copy.get("payment_method");
    JsonNode number = card.get("number");
    CARD_DATA.forEach(card::remove);
    // A number that is not a string fails binding, and its request is refused before any claim.
    if (number != null && number.isString()) {
      card.put(CARD_TOKEN, hashes.of(number.asString()));
    }
    return route + "\n" + json.canonical(copy);
  }
}
