package org.malipo.gateway.rail.mpesa;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.CallbackUrls;
import org.malipo.gateway.rail.HttpReply;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.PayoutOutcome;
import org.malipo.gateway.rail.PayoutRail;
import org.malipo.gateway.rail.PayoutRequest;
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * Money out through Safaricom Daraja (rails.md §1.8, §1.10): B2C payouts, Transaction Status, and
 * Reversal for refunds of STK payments. Shares the Daraja app's one access token with
 * {@link MpesaRail} (a new token invalidates the previous one, rails.md §1.2).
 *
 * <ul>
 *   <li>B2C: {@code POST /mpesa/b2c/v3/paymentrequest}, {@code OriginatorConversationID} = our
 *       payout id (Daraja's idempotency key: a reuse is {@code 500.002.1001} "Duplicate"), whole-KES
 *       {@code Amount}, {@code ResultURL} / {@code QueueTimeOutURL} below the gateway's M-Pesa
 *       callback path ({@code …/b2c/result?ref=po_…}, {@code …/b2c/timeout?ref=po_…}).
 *       {@code ResponseCode "0"} → pending (never a success); {@code 400.002.02} or a request never
 *       sent → not attempted; anything else → unknown (settled by Transaction Status).
 *   <li>Transaction Status: {@code POST /mpesa/transactionstatus/v1/query} by
 *       {@code OriginatorConversationID}; asynchronous, its result comes to {@code …/b2c/status}.
 *   <li>Reversal: {@code POST /mpesa/reversal/v1/request} of the STK payment's receipt, result to
 *       {@code …/reversal/result?ref=ref_…}; our refund id rides in {@code Occasion}.
 * </ul>
 */
public final class MpesaB2cRail implements PayoutRail {

  static final String B2C_PATH = "/mpesa/b2c/v3/paymentrequest";
  static final String STATUS_PATH = "/mpesa/transactionstatus/v1/query";
  static final String REVERSAL_PATH = "/mpesa/reversal/v1/request";
  private static final String DUPLICATE = "500.002.1001";
  private static final String INVALID_FIELD = "400.002.02";

  private final MpesaRail daraja;
  private final String initiatorName;
  private final String securityCredential;
  private final String shortcode;
  private final CallbackUrls callbackUrls;
  private final boolean livemode;
  private final JsonMapper json = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE).build();

  /**
   * @param daraja the STK rail of the same Daraja app: its client and token
   * @param initiatorName {@code InitiatorName}
   * @param securityCredential {@code SecurityCredential} (already encrypted, base64)
   * @param shortcode the B2C shortcode ({@code PartyA})
   * @param livemode false for the sandbox
   */
  public MpesaB2cRail(MpesaRail daraja, String initiatorName, String securityCredential, String shortcode,
      CallbackUrls callbackUrls, boolean livemode) {
    this.daraja = daraja;
    this.initiatorName = initiatorName;
    this.securityCredential = securityCredential;
    this.shortcode = shortcode;
    this.callbackUrls = callbackUrls;
    this.livemode = livemode;
  }

  @Override
  public String name() {
    return MpesaRail.NAME;
  }

  @Override
  public MobileMoneyOperator operator() {
    return MobileMoneyOperator.MPESA;
  }

  @Override
  public Set<CurrencyUnit> currencies() {
    return Set.of(CurrencyUnit.KES);
  }

  @Override
  public boolean livemode() {
    return livemode;
  }

  /** B2C request body (rails.md §1.8); {@code Occassion} is spelled as Daraja spells it. */
  record B2cRequest(String originatorConversationID, String initiatorName, String securityCredential,
      String commandID, long amount, String partyA, String partyB, String remarks, String queueTimeOutURL,
      String resultURL, String occassion) {}

  /** Transaction Status request body (rails.md §1.10). */
  record StatusQuery(String initiator, String securityCredential, String commandID, String transactionID,
      String originatorConversationID, String partyA, String identifierType, String resultURL,
      String queueTimeOutURL, String remarks, String occasion) {}

  /** Reversal request body; {@code RecieverIdentifierType} is spelled as Daraja spells it. */
  record Reversal(String initiator, String securityCredential, String commandID, String transactionID, long amount,
      String receiverParty, String recieverIdentifierType, String resultURL, String queueTimeOutURL, String remarks,
      String occasion) {}

  @Override
  public Mono<PayoutOutcome> send(PayoutRequest request) {
    Money amount = request.amount();
    if (amount.currency() != CurrencyUnit.KES || amount.amountMinor() % 100 != 0) {
      return Mono.just(new PayoutOutcome.NotAttempted(name(), "M-Pesa pays whole KES only"));
    }
    return Mono.fromCallable(() -> json.writeValueAsBytes(new B2cRequest(request.payoutId(), initiatorName,
            securityCredential, "BusinessPayment", amount.amountMinor() / 100, shortcode, request.msisdnDigits(),
            remarks(request.remarks()), url("/b2c/timeout", request.payoutId()), url("/b2c/result", request.payoutId()),
            "")))
        .flatMap(body -> daraja.call(B2C_PATH, body))
        .map(this::sendOutcome)
        .onErrorResume(error -> Mono.just(transportOutcome("B2C", error)));
  }

  @Override
  public Mono<PayoutOutcome> query(String payoutId, String railReference) {
    return Mono.fromCallable(() -> json.writeValueAsBytes(new StatusQuery(initiatorName, securityCredential,
            "TransactionStatusQuery", "", payoutId, shortcode, "4", url("/b2c/status", payoutId),
            url("/b2c/timeout", payoutId), "Payout status", payoutId)))
        .flatMap(body -> daraja.call(STATUS_PATH, body))
        .<PayoutOutcome>map(reply -> reply.status() == 200 && "0".equals(field(reply, "ResponseCode"))
            // Accepted: the answer comes to the status ResultURL.
            ? new PayoutOutcome.Pending(name(), railReference)
            : new PayoutOutcome.Unknown(name(), "Transaction Status HTTP " + reply.status() + " " + field(reply, "errorCode")))
        .onErrorResume(error -> Mono.just(new PayoutOutcome.Unknown(name(),
            "Transaction Status not answered (" + error.getClass().getSimpleName() + ")")));
  }

  /**
   * Reads a B2C result ({@code RESULT}: ResultCode 0 with {@code TransactionAmount} → paid, other
   * codes → failed with our code), a Transaction Status result ({@code STATUS}: ResultCode 0 and
   * {@code TransactionStatus} "Completed" → paid, another status → failed, a non-zero ResultCode →
   * not found) or a queue timeout ({@code TIMEOUT} → unknown: ask again).
   */
  @Override
  public PayoutResult readResult(byte[] body, ResultKind kind) {
    JsonNode result = result(body);
    String originator = result.path("OriginatorConversationID").asString("");
    String resultCode = result.path("ResultCode").asString("");
    String description = result.path("ResultDesc").asString("");
    return switch (kind) {
      case TIMEOUT -> new PayoutResult(null, new PayoutOutcome.Unknown(name(), "queue timeout: " + clip(description)), null);
      case RESULT -> {
        if (!"0".equals(resultCode)) {
          yield new PayoutResult(originator, failed(resultCode, description), null);
        }
        Long amount = wholeKesToMinor(parameter(result, "TransactionAmount"));
        yield new PayoutResult(originator, new PayoutOutcome.Paid(name(),
            result.path("ConversationID").asString(null), result.path("TransactionID").asString(null)), amount);
      }
      case STATUS -> {
        if (!"0".equals(resultCode)) {
          yield new PayoutResult(null, new PayoutOutcome.NotFound(name(), resultCode + " " + clip(description)), null);
        }
        String status = parameter(result, "TransactionStatus").asString("");
        Long amount = wholeKesToMinor(parameter(result, "Amount"));
        String receipt = parameter(result, "ReceiptNo").asString(null);
        PayoutOutcome outcome = switch (status.toLowerCase(Locale.ROOT)) {
          case "completed" -> new PayoutOutcome.Paid(name(), null, receipt);
          case "failed", "declined", "cancelled", "expired", "reversed" -> new PayoutOutcome.Failed(name(),
              "provider_declined", clip(status), "M-Pesa reports the payout as " + clip(status) + ".");
          // Not final yet (or a status we do not know): asked again later, never guessed.
          default -> new PayoutOutcome.Pending(name(), null);
        };
        yield new PayoutResult(null, outcome, amount);
      }
    };
  }

  @Override
  public Mono<RefundOutcome> refund(RefundRequest request) {
    Money amount = request.amount();
    if (amount.currency() != CurrencyUnit.KES || amount.amountMinor() % 100 != 0) {
      return Mono.just(new RefundOutcome.Refused(name(), "refund_declined", "M-Pesa reverses whole KES only."));
    }
    String transactionId = request.railReceipt() != null ? request.railReceipt() : request.railReference();
    return Mono.fromCallable(() -> json.writeValueAsBytes(new Reversal(initiatorName, securityCredential,
            "TransactionReversal", transactionId, amount.amountMinor() / 100, shortcode, "11",
            url("/reversal/result", request.refundId()), url("/reversal/timeout", request.refundId()), "Refund",
            request.refundId())))
        .flatMap(body -> daraja.call(REVERSAL_PATH, body))
        .<RefundOutcome>map(reply -> {
          if (reply.status() == 200 && "0".equals(field(reply, "ResponseCode"))) {
            return new RefundOutcome.Unknown(name(), "reversal accepted; its result comes to the ResultURL");
          }
          if (reply.status() == 400 && INVALID_FIELD.equals(field(reply, "errorCode"))) {
            return new RefundOutcome.Refused(name(), "refund_declined", "M-Pesa refused the reversal ("
                + clip(field(reply, "errorMessage")) + ").");
          }
          return new RefundOutcome.Unknown(name(), "reversal HTTP " + reply.status() + " " + field(reply, "errorCode"));
        })
        .onErrorResume(error -> Mono.just(HttpReply.neverSent(error)
            ? new RefundOutcome.NotAttempted(name(), "reversal not sent (" + error.getClass().getSimpleName() + ")")
            : new RefundOutcome.Unknown(name(), "reversal not answered (" + error.getClass().getSimpleName() + ")")));
  }

  /** Reads a reversal result: ResultCode 0 → refunded (the reversal's TransactionID), else refused. */
  @Override
  public RefundOutcome readRefundResult(byte[] body, ResultKind kind) {
    JsonNode result = result(body);
    if (kind == ResultKind.TIMEOUT) {
      return new RefundOutcome.Unknown(name(), "reversal queue timeout");
    }
    String resultCode = result.path("ResultCode").asString("");
    return "0".equals(resultCode)
        ? new RefundOutcome.Refunded(name(), result.path("TransactionID").asString(
            result.path("ConversationID").asString("reversed")))
        : new RefundOutcome.Refused(name(), "refund_declined",
            "M-Pesa refused the reversal (" + clip(resultCode) + " " + clip(result.path("ResultDesc").asString("")) + ").");
  }

  private PayoutOutcome sendOutcome(HttpReply reply) {
    String errorCode = field(reply, "errorCode");
    if (reply.status() == 200 && "0".equals(field(reply, "ResponseCode"))) {
      String conversationId = field(reply, "ConversationID");
      return new PayoutOutcome.Pending(name(), conversationId.isEmpty() ? null : conversationId);
    }
    if (DUPLICATE.equals(errorCode)) {
      // The payout reached Daraja before (an earlier send whose answer was lost): the status tells.
      return new PayoutOutcome.Unknown(name(), "duplicate OriginatorConversationID");
    }
    if (reply.status() == 400 && INVALID_FIELD.equals(errorCode)) {
      return new PayoutOutcome.NotAttempted(name(), "B2C refused: " + clip(field(reply, "errorMessage")));
    }
    if (reply.status() == 401 || (reply.status() == 404 && "404.001.03".equals(errorCode))) {
      return new PayoutOutcome.NotAttempted(name(), "B2C not authenticated");
    }
    return new PayoutOutcome.Unknown(name(), "B2C HTTP " + reply.status() + " " + clip(errorCode));
  }

  private PayoutOutcome transportOutcome(String call, Throwable error) {
    return HttpReply.neverSent(error) || isNotCharged(error)
        ? new PayoutOutcome.NotAttempted(name(), call + " not sent (" + error.getClass().getSimpleName() + ")")
        : new PayoutOutcome.Unknown(name(), call + " sent, no answer read (" + error.getClass().getSimpleName() + ")");
  }

  /** A token that could not be had means the call was never made. */
  private static boolean isNotCharged(Throwable error) {
    return error instanceof org.malipo.gateway.rail.RailException railError && railError.surelyNotCharged();
  }

  /** A failure with our code for a B2C ResultCode (rails.md §1.8). */
  PayoutOutcome.Failed failed(String resultCode, String description) {
    String code = switch (resultCode) {
      case "2040", "SFC_IC0003", "C2B00011" -> "recipient_invalid";
      case "2", "3" -> "amount_invalid";
      case "4", "8" -> "recipient_limit_exceeded";
      case "1" -> "provider_balance_insufficient";
      default -> "provider_declined";
    };
    String message = switch (code) {
      case "recipient_invalid" -> "The recipient is not a registered M-Pesa customer.";
      case "amount_invalid" -> "M-Pesa refused the amount (" + clip(description) + ").";
      case "recipient_limit_exceeded" -> "The payout would exceed the recipient's M-Pesa limits.";
      case "provider_balance_insufficient" -> "The payout account at M-Pesa cannot cover the payout now.";
      default -> "M-Pesa declined the payout (" + clip(resultCode) + " " + clip(description) + ").";
    };
    return new PayoutOutcome.Failed(name(), code, clip(resultCode), message);
  }

  private String url(String suffix, String reference) {
    return callbackUrls.callbackUrl(MobileMoneyOperator.MPESA, null) + suffix + "?ref=" + reference;
  }

  /** Daraja wants 2-100 characters. */
  private static String remarks(String remarks) {
    String text = remarks == null || remarks.isBlank() ? "Payout" : remarks.strip();
    return text.length() < 2 ? "Payout" : text.length() > 100 ? text.substring(0, 100) : text;
  }

  private JsonNode result(byte[] body) {
    JsonNode tree;
    try {
      tree = json.readTree(body);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not JSON");
    }
    JsonNode result = tree == null ? null : tree.path("Result");
    if (result == null || !result.isObject() || result.path("ResultCode").isMissingNode()) {
      throw new IllegalArgumentException("not a Daraja Result: Result.ResultCode missing");
    }
    return result;
  }

  /** A {@code ResultParameters.ResultParameter[]} value by key; missing node when absent. */
  private static JsonNode parameter(JsonNode result, String key) {
    JsonNode parameters = result.path("ResultParameters").path("ResultParameter");
    for (JsonNode parameter : parameters.isArray() ? parameters : java.util.List.of(parameters)) {
      if (key.equals(parameter.path("Key").asString(""))) {
        return parameter.path("Value");
      }
    }
    return tools.jackson.databind.node.MissingNode.getInstance();
  }

  private static Long wholeKesToMinor(JsonNode value) {
    if (value.isMissingNode() || value.isNull()) {
      return null;
    }
    try {
      return new BigDecimal(value.asString()).movePointRight(2).longValueExact();
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("amount is not a KES amount");
    }
  }

  private String field(HttpReply reply, String name) {
    try {
      JsonNode tree = reply.body().length == 0 ? null : json.readTree(reply.body());
      return tree == null ? "" : tree.path(name).asString("");
    } catch (JacksonException e) {
      return "";
    }
  }

  private static String clip(String value) {
    String text = value == null ? "" : value.toLowerCase(Locale.ROOT).equals("null") ? "" : value;
    return text.length() <= 40 ? text : text.substring(0, 40) + "…";
  }
}
