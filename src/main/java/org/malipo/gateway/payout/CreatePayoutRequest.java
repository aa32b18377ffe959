package org.malipo.gateway.payout;

import java.util.Map;

/**
 * The JSON body of {@code POST /v1/payouts}, as sent (snake_case on the wire). Every field is
 * nullable so a missing one is reported by name; fields the client may not set ({@code status},
 * {@code fee}, {@code livemode}, ids) are absent, so they fail as {@code parameter_unknown}.
 *
 * @param amount minor units of {@code currency}; a JSON integer
 * @param currency ISO 4217 alphabetic code, upper case
 * @param destination the wallet to pay
 * @param reference the merchant's own reference, 1-64 characters
 * @param description at most 255 characters
 * @param metadata at most 20 string pairs, keys at most 40 and values at most 500 characters
 */
record CreatePayoutRequest(Long amount, String currency, DestinationRequest destination, String reference,
    String description, Map<String, String> metadata) {

  /** {@code destination}: {@code {type: "mobile_money", operator, msisdn, name?}}. */
  record DestinationRequest(String type, String operator, String msisdn, String name) {}
}
