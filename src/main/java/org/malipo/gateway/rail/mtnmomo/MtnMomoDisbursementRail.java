package org.malipo.gateway.rail.mtnmomo;

import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.JsonBodies;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.rail.CallbackUrls;
import org.malipo.gateway.rail.HttpReply;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.PayoutOutcome;
import org.malipo.gateway.rail.PayoutRail;
import org.malipo.gateway.rail.PayoutRequest;
import org.malipo.gateway.rail.RailException;
import org.malipo.gateway.rail.RailTokenCache;
import org.malipo.gateway.rail.RefundOutcome;
import org.malipo.gateway.rail.RefundRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * MTN MoMo Open API, Disbursements (rails.md §2; the product has its own subscription key, API
 * user and token): transfers for payouts and refunds of request-to-pay payments.
 *
 * <ul>
 *   <li>Token: {@code POST /disbursement/token/}, cached like Collections' token.
 *   <li>Transfer: {@code POST /disbursement/v1_0/transfer} with {@code X-Reference-Id} = a
 *       name-based UUID of our payout id (a second send is {@code 409 RESOURCE_ALREADY_EXIST},
 *       never a second transfer), {@code payee} MSISDN, amount a string of major units. 202 or 409 →
 *       pending; a 401 or a documented refusal → not attempted; anything else → unknown.
 *   <li>Status: {@code GET /disbursement/v1_0/transfer/{ref}}: SUCCESSFUL → paid, FAILED → failed
 *       with a mapped reason, PENDING → pending, 404 → not found.
 *   <li>Refund: {@code POST /disbursement/v1_0/refund} with {@code referenceIdToRefund} = the
 *       request-to-pay's X-Reference-Id and our own X-Reference-Id from the refund id, then
 *       {@code GET /disbursement/v1_0/refund/{ref}}; a re-send is a 409 and reads the status.
 * </ul>
 */
public final class MtnMomoDisbursementRail implements PayoutRail {

  static final String TOKEN_PATH = "/disbursement/token/";
  static final String TRANSFER_PATH = "/disbursement/v1_0/transfer";
  static final String REFUND_PATH = "/disbursement/v1_0/refund";

  private final WebClient client;
  private final String subscriptionKey;
  private final String targetEnvironment;
  private final CallbackUrls callbackUrls;
  private final Clock clock;
  private final boolean livemode;
  private final RailTokenCache tokens;
  private final JsonMapper json = JsonMapper.builder().build();

  /**
   * @param client a client whose base URL is the MoMo host
   * @param subscriptionKey the Disbursements product's subscription key
   * @param apiUser the Disbursements API user (UUID)
   * @param apiKey its API key
   * @param targetEnvironment {@code sandbox} or the market
   * @param livemode false for the sandbox
   */
  public MtnMomoDisbursementRail(WebClient client, String subscriptionKey, String apiUser, String apiKey,
      String targetEnvironment, CallbackUrls callbackUrls, Clock clock, boolean livemode) {
    this.client = client;
    this.subscriptionKey = subscriptionKey;
    this.targetEnvironment = targetEnvironment;
    this.callbackUrls = callbackUrls;
    this.clock = clock;
    this.livemode = livemode;
    this.tokens = new RailTokenCache(fetchToken(RailTokenCache.basicCredentials(apiUser, apiKey)),
        Duration.ofSeconds(60), clock);
  }

  @Override
  public String name() {
    return MtnMomoRail.NAME;
  }

  @Override
  public MobileMoneyOperator operator() {
    return MobileMoneyOperator.MTN_MOMO;
  }

  /** Market currencies, and EUR, the only currency of MoMo's sandbox. */
  @Override
  public Set<CurrencyUnit> currencies() {
    return Set.of(CurrencyUnit.UGX, CurrencyUnit.GHS, CurrencyUnit.RWF, CurrencyUnit.ZMW, CurrencyUnit.EUR);
  }

  @Override
  public boolean livemode() {
    return livemode;
  }

  /** Transfer body (MoMo Disbursements). */
  record Transfer(String amount, String currency, String externalId, MtnMomoRail.Party payee, String payerMessage,
      String payeeNote) {}

  /** Refund body (MoMo Disbursements). */
  record Refund(String amount, String currency, String externalId, String payerMessage, String payeeNote,
      String referenceIdToRefund) {}

  @Override
  public Mono<PayoutOutcome> send(PayoutRequest request) {
    String referenceId = MtnMomoRail.referenceId(request.payoutId());
    String note = request.remarks() == null || request.remarks().isBlank() ? "Payout" : HttpReply.clip(request.remarks(), 40);
    return Mono.fromCallable(() -> json.writeValueAsBytes(new Transfer(MtnMomoRail.majorUnits(request.amount()),
            request.amount().currency().code(), request.payoutId(), new MtnMomoRail.Party("MSISDN", request.msisdnDigits()),
            note, note)))
        .flatMap(body -> post(TRANSFER_PATH, referenceId,
            callbackUrls.callbackUrl(MobileMoneyOperator.MTN_MOMO, null) + "/disbursement?ref=" + request.payoutId(), body))
        .<PayoutOutcome>map(reply -> switch (reply.status()) {
          case 202, 409 -> new PayoutOutcome.Pending(name(), referenceId);
          default -> refused(reply)
              ? new PayoutOutcome.NotAttempted(name(), "transfer refused: HTTP " + reply.status() + " " + code(reply))
              : new PayoutOutcome.Unknown(name(), "transfer HTTP " + reply.status() + " " + code(reply));
        })
        .onErrorResume(error -> Mono.just(HttpReply.neverSent(error) || notCharged(error)
            ? new PayoutOutcome.NotAttempted(name(), "transfer not sent (" + error.getClass().getSimpleName() + ")")
            : new PayoutOutcome.Unknown(name(), "transfer sent, no answer (" + error.getClass().getSimpleName() + ")")));
  }

  @Override
  public Mono<PayoutOutcome> query(String payoutId, String railReference) {
    String referenceId = railReference != null ? railReference : MtnMomoRail.referenceId(payoutId);
    return get(TRANSFER_PATH + "/" + referenceId)
        .<PayoutOutcome>map(reply -> {
          if (reply.status() == 404) {
            return new PayoutOutcome.NotFound(name(), "RESOURCE_NOT_FOUND");
          }
          JsonNode status = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
          if (status == null) {
            return new PayoutOutcome.Unknown(name(), "status HTTP " + reply.status() + " " + code(reply));
          }
          return switch (status.path("status").asString("")) {
            case "SUCCESSFUL" -> new PayoutOutcome.Paid(name(), referenceId,
                status.path("financialTransactionId").asString(null));
            case "PENDING" -> new PayoutOutcome.Pending(name(), referenceId);
            case "FAILED" -> failed(reason(status.path("reason")));
            default -> new PayoutOutcome.Unknown(name(), "status " + HttpReply.clip(status.path("status").asString(""), 40));
          };
        })
        .onErrorResume(error -> Mono.just(new PayoutOutcome.Unknown(name(),
            "status not answered (" + error.getClass().getSimpleName() + ")")));
  }

  @Override
  public Mono<RefundOutcome> refund(RefundRequest request) {
    String referenceId = MtnMomoRail.referenceId(request.refundId());
    Money amount = request.amount();
    return Mono.fromCallable(() -> json.writeValueAsBytes(new Refund(MtnMomoRail.majorUnits(amount),
            amount.currency().code(), request.refundId(), "Refund " + request.paymentId(), request.refundId(),
            request.railReference())))
        .flatMap(body -> post(REFUND_PATH, referenceId, null, body))
        .flatMap(reply -> switch (reply.status()) {
          // Created now or by an earlier send of this refund: its status says where it is.
          case 202, 409 -> refundStatus(referenceId);
          default -> Mono.<RefundOutcome>just(refused(reply)
              ? new RefundOutcome.Refused(name(), "refund_declined", "MTN MoMo refused the refund (" + code(reply) + ").")
              : new RefundOutcome.Unknown(name(), "refund HTTP " + reply.status() + " " + code(reply)));
        })
        .onErrorResume(error -> Mono.just(HttpReply.neverSent(error) || notCharged(error)
            ? new RefundOutcome.NotAttempted(name(), "refund not sent (" + error.getClass().getSimpleName() + ")")
            : new RefundOutcome.Unknown(name(), "refund sent, no answer (" + error.getClass().getSimpleName() + ")")));
  }

  private Mono<RefundOutcome> refundStatus(String referenceId) {
    return get(REFUND_PATH + "/" + referenceId).map(reply -> {
      JsonNode status = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
      if (status == null) {
        return new RefundOutcome.Unknown(name(), "refund status HTTP " + reply.status());
      }
      return switch (status.path("status").asString("")) {
        case "SUCCESSFUL" -> new RefundOutcome.Refunded(name(), status.path("financialTransactionId").asString(referenceId));
        case "FAILED" -> new RefundOutcome.Refused(name(), "refund_declined",
            "MTN MoMo refused the refund (" + HttpReply.clip(reason(status.path("reason")), 40) + ").");
        default -> new RefundOutcome.Unknown(name(), "refund " + HttpReply.clip(status.path("status").asString(""), 40));
      };
    });
  }

  /** A failure with our code for a MoMo reason (rails.md §2.5). */
  PayoutOutcome.Failed failed(String reason) {
    String code = switch (reason) {
      case "PAYEE_NOT_FOUND", "PAYER_NOT_FOUND", "RECEIVER_NOT_FOUND", "ACCOUNT_NOT_FOUND" -> "recipient_invalid";
      case "PAYEE_NOT_ALLOWED_TO_RECEIVE", "PAYER_LIMIT_REACHED" -> "recipient_limit_exceeded";
      case "NOT_ENOUGH_FUNDS" -> "provider_balance_insufficient";
      default -> "provider_declined";
    };
    String message = switch (code) {
      case "recipient_invalid" -> "The recipient is not an active MTN MoMo wallet.";
      case "recipient_limit_exceeded" -> "The recipient's wallet cannot receive this amount.";
      case "provider_balance_insufficient" -> "The payout account at MTN MoMo cannot cover the payout now.";
      default -> "MTN MoMo declined the payout (" + HttpReply.clip(reason, 40) + ").";
    };
    return new PayoutOutcome.Failed(name(), code, HttpReply.clip(reason, 40), message);
  }

  private boolean refused(HttpReply reply) {
    int status = reply.status();
    return status == 401 || ((status == 400 || status == 500) && MtnMomoRail.REFUSALS.contains(code(reply)));
  }

  private static boolean notCharged(Throwable error) {
    return error instanceof RailException railError && railError.surelyNotCharged();
  }

  private Mono<HttpReply> post(String path, String referenceId, String callbackUrl, byte[] body) {
    return tokens.withToken(name(), bearer -> {
      WebClient.RequestBodySpec spec = client.post().uri(path)
          .header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
          .header("X-Reference-Id", referenceId)
          .header("X-Target-Environment", targetEnvironment)
          .header(MtnMomoRail.SUBSCRIPTION_KEY, subscriptionKey)
          .contentType(MediaType.APPLICATION_JSON);
      if (callbackUrl != null) {
        spec = spec.header("X-Callback-Url", callbackUrl);
      }
      return spec.bodyValue(body).exchangeToMono(HttpReply::read);
    });
  }

  private Mono<HttpReply> get(String path) {
    return tokens.withToken(name(), bearer -> client.get().uri(path)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
        .header("X-Target-Environment", targetEnvironment)
        .header(MtnMomoRail.SUBSCRIPTION_KEY, subscriptionKey)
        .accept(MediaType.APPLICATION_JSON)
        .exchangeToMono(HttpReply::read));
  }

  private Mono<RailTokenCache.Token> fetchToken(String basic) {
    return Mono.defer(() -> client.post().uri(TOKEN_PATH)
        .header(HttpHeaders.AUTHORIZATION, basic)
        .header(MtnMomoRail.SUBSCRIPTION_KEY, subscriptionKey)
        .contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .body(BodyInserters.fromFormData("grant_type", "client_credentials"))
        .exchangeToMono(HttpReply::read))
        .map(reply -> {
          JsonNode answer = reply.status() == 200 ? JsonBodies.object(json, reply.body()) : null;
          String token = answer == null ? "" : answer.path("access_token").asString("");
          long expiresInSeconds = answer == null ? 0 : answer.path("expires_in").asLong(0);
          if (token.isEmpty() || expiresInSeconds <= 0) {
            throw RailException.notCharged(name() + ": disbursement token request answered HTTP " + reply.status());
          }
          return new RailTokenCache.Token(token, clock.instant().plusSeconds(expiresInSeconds));
        });
  }

  /** {@code reason} is a string in practice, an {@code {code, message}} object in old swagger. */
  private static String reason(JsonNode reason) {
    return reason.isObject() ? reason.path("code").asString("") : reason.asString("");
  }

  private String code(HttpReply reply) {
    JsonNode answer = JsonBodies.object(json, reply.body());
    return answer == null ? "" : HttpReply.clip(answer.path("code").asString(""), 40);
  }
}
