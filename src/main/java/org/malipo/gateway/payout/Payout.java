package org.malipo.gateway.payout;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import org.malipo.gateway.common.Money;

/**
 * A payout as stored.
 *
 * @param status {@code pending}, {@code succeeded} or {@code failed}
 * @param amount paid to the wallet, minor units
 * @param fee the merchant's fee, minor units, same currency; reserved with the amount
 * @param rail the rail name ({@code mpesa}, {@code mtn_momo}), which is also the operator's
 * @param msisdn the recipient, E.164 (shown masked)
 * @param railReference the rail's id (M-Pesa ConversationID, MoMo X-Reference-Id), or null
 * @param receipt the rail's transaction receipt once paid, or null
 */
record Payout(
    String id,
    String merchantId,
    String idempotencyKey,
    String status,
    Money amount,
    Money fee,
    String rail,
    String operator,
    String msisdn,
    String recipientName,
    String reference,
    String description,
    Map<String, String> metadata,
    boolean livemode,
    String railReference,
    String receipt,
    String failureCode,
    String failureMessage,
    Instant createdAt,
    Instant updatedAt) {

  static final String PENDING = "pending";
  static final String SUCCEEDED = "succeeded";
  static final String FAILED = "failed";

  /** Amount plus fee: what the merchant's {@code available} balance gives up. */
  Money total() {
    return amount.plus(fee);
  }

  Payout succeeded(String nextRailReference, String nextReceipt, Instant at) {
    return new Payout(id, merchantId, idempotencyKey, SUCCEEDED, amount, fee, rail, operator, msisdn, recipientName,
        reference, description, metadata, livemode, nextRailReference == null ? railReference : nextRailReference,
        nextReceipt, null, null, createdAt, at);
  }

  Payout failed(String code, String message, Instant at) {
    return new Payout(id, merchantId, idempotencyKey, FAILED, amount, fee, rail, operator, msisdn, recipientName,
        reference, description, metadata, livemode, railReference, null, code, message, createdAt, at);
  }

  Payout withRailReference(String nextRailReference) {
    return new Payout(id, merchantId, idempotencyKey, status, amount, fee, rail, operator, msisdn, recipientName,
        reference, description, metadata, livemode, nextRailReference, receipt, failureCode, failureMessage, createdAt,
        updatedAt);
  }

  /**
   * The JSON form: {@code id, object: "payout", status, amount, currency, fee, destination {type,
   * operator, msisdn (masked), name?}, failure {code, message} | null, reference, description,
   * metadata, livemode, created_at, updated_at}.
   */
  record View(String id, String object, String status, long amount, String currency, long fee, Destination destination,
      Failure failure, String reference, String description, Map<String, String> metadata, boolean livemode,
      String createdAt, String updatedAt) {

    /** {@code {type: "mobile_money", operator, msisdn (masked), name?}}. */
    record Destination(String type, String operator, String msisdn,
        @JsonInclude(JsonInclude.Include.NON_NULL) String name) {}

    /** {@code {code, message}}. */
    record Failure(String code, String message) {}

    static View of(Payout p) {
      return new View(p.id(), "payout", p.status(), p.amount().amountMinor(), p.amount().currency().code(),
          p.fee().amountMinor(), new Destination("mobile_money", p.operator(), mask(p.msisdn()), p.recipientName()),
          p.failureCode() == null ? null : new Failure(p.failureCode(), p.failureMessage()),
          p.reference(), p.description(), p.metadata() == null ? Map.of() : p.metadata(), p.livemode(),
          p.createdAt().toString(), p.updatedAt().toString());
    }
  }

  /** A number for display: country code and first two digits, then only the last three. */
  static String mask(String e164) {
    if (e164 == null || e164.length() < 10) {
      return e164;
    }
    int keep = e164.length() - 3;
    return e164.substring(0, 6) + "*".repeat(keep - 6) + e164.substring(keep);
  }
}
