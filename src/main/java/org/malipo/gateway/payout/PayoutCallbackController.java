package org.malipo.gateway.payout;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.callback.CallbackProperties;
import org.malipo.gateway.rail.PayoutRail;
import org.malipo.gateway.rail.PayoutRail.ResultKind;
import org.malipo.gateway.rail.PayoutRails;
import org.malipo.gateway.refund.RefundResults;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The rails' money-out results, below each rail's secret callback path (the same per-rail token
 * as payment callbacks; neither rail signs):
 *
 * <ul>
 *   <li>{@code POST /v1/callbacks/mpesa/{token}/b2c/{result|status|timeout}?ref=po_…}: Daraja B2C
 *       results, Transaction Status results and queue timeouts. A result names its payout by
 *       {@code OriginatorConversationID} (which must equal {@code ref}); a success must carry the
 *       payout's amount. Answered {@code {"ResultCode":0,"ResultDesc":"Accepted"}}.
 *   <li>{@code POST /v1/callbacks/mpesa/{token}/reversal/{result|timeout}?ref=ref_…}: Daraja
 *       Reversal results of refunds, handed to the refund module.
 *   <li>{@code PUT|POST /v1/callbacks/mtn-momo/{token}/disbursement?ref=po_…}: MoMo transfer
 *       callbacks, taken as a hint only: the payout's status is read with GET transfer at once.
 * </ul>
 *
 * <p>Every body is stored in the inbox with its verdict ({@code applied}, {@code duplicate},
 * {@code mismatch}, {@code orphan}, {@code rejected}), in order to explain every result later. A
 * result that cannot be applied now leaves the payout to the reconciler's status query.
 */
@RestController
@RequestMapping("/v1/callbacks")
final class PayoutCallbackController {

  private static final Logger log = LoggerFactory.getLogger(PayoutCallbackController.class);
  private static final Map<String, Object> MPESA_ACK = Map.of("ResultCode", 0, "ResultDesc", "Accepted");
  private static final int MAX_REFERENCE = 64;

  private final CallbackProperties properties;
  private final PayoutRails rails;
  private final PayoutRepository payouts;
  private final PayoutService service;
  private final RefundResults refunds;

  PayoutCallbackController(CallbackProperties properties, PayoutRails rails, PayoutRepository payouts,
      PayoutService service, RefundResults refunds) {
    this.properties = properties;
    this.rails = rails;
    this.payouts = payouts;
    this.service = service;
    this.refunds = refunds;
  }

  @RequestMapping(path = "/mpesa/{token}/b2c/{kind}", method = RequestMethod.POST,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Map<String, Object>> mpesaB2c(@PathVariable String token, @PathVariable String kind,
      @RequestParam(name = "ref", required = false) String ref, @RequestBody(required = false) Mono<byte[]> body) {
    PayoutRail rail = rail(properties.mpesaToken(), token, "mpesa");
    ResultKind resultKind = kind(kind);
    String hint = hint(ref);
    return body.defaultIfEmpty(new byte[0])
        .flatMap(bytes -> payoutResult(rail, resultKind, hint, bytes)
            .onErrorResume(error -> !(error instanceof ApiProblem), error -> {
              log.warn("M-Pesa B2C {} for {} not applied now, left to the status query: {}", kind, hint, error.toString());
              return Mono.just(new Verdict("rejected", "not applied: " + error.getClass().getSimpleName()));
            })
            .flatMap(verdict -> payouts.storeResult("mpesa_b2c", hint, bytes, verdict.verdict(), verdict.detail())))
        .thenReturn(MPESA_ACK);
  }

  @RequestMapping(path = "/mpesa/{token}/reversal/{kind}", method = RequestMethod.POST,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Map<String, Object>> mpesaReversal(@PathVariable String token, @PathVariable String kind,
      @RequestParam(name = "ref", required = false) String ref, @RequestBody(required = false) Mono<byte[]> body) {
    PayoutRail rail = rail(properties.mpesaToken(), token, "mpesa");
    ResultKind resultKind = kind(kind);
    if (resultKind == ResultKind.STATUS) {
      throw ApiProblem.of(ProblemCode.NOT_FOUND, "No such callback endpoint.");
    }
    String hint = hint(ref);
    return body.defaultIfEmpty(new byte[0])
        .flatMap(bytes -> Mono.fromCallable(() -> rail.readRefundResult(bytes, resultKind))
            .flatMap(outcome -> hint == null ? Mono.just(new Verdict("orphan", "no refund reference"))
                : refunds.apply(hint, outcome).map(verdict -> new Verdict(verdict, String.valueOf(outcome))))
            .onErrorResume(IllegalArgumentException.class,
                error -> Mono.just(new Verdict("rejected", "malformed: " + error.getMessage())))
            .onErrorResume(error -> !(error instanceof ApiProblem), error -> {
              log.warn("M-Pesa reversal result for {} not applied now: {}", hint, error.toString());
              return Mono.just(new Verdict("rejected", "not applied: " + error.getClass().getSimpleName()));
            })
            .flatMap(verdict -> payouts.storeResult("mpesa_reversal", hint, bytes, verdict.verdict(), verdict.detail())))
        .thenReturn(MPESA_ACK);
  }

  @RequestMapping(path = "/mtn-momo/{token}/disbursement", method = {RequestMethod.PUT, RequestMethod.POST})
  Mono<ResponseEntity<Void>> mtnMomoDisbursement(@PathVariable String token,
      @RequestParam(name = "ref", required = false) String ref, @RequestBody(required = false) Mono<byte[]> body) {
    PayoutRail rail = rail(properties.mtnMomoToken(), token, "mtn_momo");
    String hint = hint(ref);
    return body.defaultIfEmpty(new byte[0])
        // Unsigned: a hint to read the transfer's status now, never applied as it stands.
        .flatMap(bytes -> (hint == null ? Mono.just(new Verdict("orphan", "no payout reference"))
                : service.pending(hint)
                    .flatMap(payout -> rail.query(payout.id(), payout.railReference())
                        .flatMap(outcome -> service.apply(payout, outcome, null))
                        .map(verdict -> new Verdict(verdict(verdict), "status GET: " + verdict)))
                    .switchIfEmpty(payouts.findById(hint).map(p -> new Verdict("duplicate", "already " + p.status()))
                        .defaultIfEmpty(new Verdict("orphan", "no such payout"))))
            .onErrorResume(error -> !(error instanceof ApiProblem), error -> {
              log.warn("MoMo disbursement callback for {} not applied now: {}", hint, error.toString());
              return Mono.just(new Verdict("rejected", "not applied: " + error.getClass().getSimpleName()));
            })
            .flatMap(verdict -> payouts.storeResult("mtn_momo_disbursement", hint, bytes, verdict.verdict(),
                verdict.detail())))
        .thenReturn(ResponseEntity.ok().<Void>build());
  }

  /** A verdict for the inbox row, and why. */
  private record Verdict(String verdict, String detail) {}

  private Mono<Verdict> payoutResult(PayoutRail rail, ResultKind kind, String hint, byte[] bytes) {
    PayoutRail.PayoutResult result;
    try {
      result = rail.readResult(bytes, kind);
    } catch (IllegalArgumentException e) {
      return Mono.just(new Verdict("rejected", "malformed: " + e.getMessage()));
    }
    String payoutId = result.payoutId() != null && !result.payoutId().isEmpty() ? result.payoutId() : hint;
    if (payoutId == null) {
      return Mono.just(new Verdict("orphan", "no payout reference"));
    }
    if (hint != null && !hint.equals(payoutId)) {
      return Mono.just(new Verdict("mismatch", "OriginatorConversationID " + payoutId + " under ref " + hint));
    }
    return payouts.findById(payoutId)
        .flatMap(payout -> {
          if (!Payout.PENDING.equals(payout.status())) {
            return Mono.just(new Verdict("duplicate", "already " + payout.status()));
          }
          if (kind == ResultKind.TIMEOUT) {
            return payouts.checkSoon(payoutId).thenReturn(new Verdict("applied", "queue timeout: status query now"));
          }
          return service.apply(payout, result.outcome(), result.amountMinor())
              .map(verdict -> new Verdict(verdict(verdict), result.outcome().toString()));
        })
        .defaultIfEmpty(new Verdict("orphan", "no such payout"));
  }

  /** The inbox's verdicts: a report that settled nothing yet was still applied as information. */
  private static String verdict(String outcome) {
    return switch (outcome) {
      case "applied", "duplicate", "mismatch" -> outcome;
      default -> "applied";
    };
  }

  private PayoutRail rail(String expected, String token, String rail) {
    if (expected.isEmpty() || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
        token.getBytes(StandardCharsets.UTF_8))) {
      throw ApiProblem.of(ProblemCode.NOT_FOUND, "No such callback endpoint.");
    }
    return rails.byName(rail).orElseThrow(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such callback endpoint."));
  }

  private static ResultKind kind(String kind) {
    return switch (kind) {
      case "result" -> ResultKind.RESULT;
      case "status" -> ResultKind.STATUS;
      case "timeout" -> ResultKind.TIMEOUT;
      default -> throw ApiProblem.of(ProblemCode.NOT_FOUND, "No such callback endpoint.");
    };
  }

  private static String hint(String ref) {
    return ref == null || ref.isEmpty() || ref.length() > MAX_REFERENCE ? null : ref;
  }
}
