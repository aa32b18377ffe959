package org.malipo.gateway.callback;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.LinkedHashMap;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditContext;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * What an operator can do with a quarantined callback (scope {@code admin}; the console's
 * "callbacks and webhooks" screen; docs/mobile-money.md for the verdicts). Both are idempotent: a
 * repeated request answers the callback as it is and writes nothing (no second audit row).
 *
 * <ul>
 *   <li>{@code POST /v1/admin/callbacks/{id}/dismiss} {@code {note}}: acknowledges a callback whose
 *       verdict is {@code mismatch}, {@code orphan}, {@code rejected} or {@code late}; it leaves the
 *       list, its verdict stays, nothing else changes. {@code 200}; audited
 *       ({@code callback.dismissed}). Else {@code 409 callback_not_quarantined}.
 *   <li>{@code POST /v1/admin/callbacks/{id}/reprocess} (no body): sends an {@code orphan} (no
 *       attempt had its reference within the retries) back to the processor once, with a fresh
 *       retry schedule: it is applied only if it now matches an attempt and passes every check
 *       (amount, currency and payer, the rail's confirmation); a payment already final changes
 *       nothing ({@code duplicate} or {@code late}); a mismatch is quarantined again. {@code 202};
 *       audited ({@code callback.reprocessed}). Other verdicts are {@code 409
 *       callback_not_reprocessable}: a {@code mismatch} must never be applied, a {@code late} one
 *       met a final payment (nothing a second run could change), a {@code rejected} one was
 *       unreadable or contradicted by the rail.
 * </ul>
 * Unknown ids (or not numbers) are {@code 404 not_found}.
 */
@RestController
final class QuarantinedCallbackController {

  private static final int MAX_NOTE_LENGTH = 1_000;

  private final Inbox inbox;
  private final CallbackProcessor processor;
  private final StrictJson strictJson;
  private final AuditLog audit;
  private final TransactionalOperator tx;

  QuarantinedCallbackController(Inbox inbox, CallbackProcessor processor, StrictJson strictJson, AuditLog audit,
      ReactiveTransactionManager transactions) {
    this.inbox = inbox;
    this.processor = processor;
    this.strictJson = strictJson;
    this.audit = audit;
    this.tx = TransactionalOperator.create(transactions);
  }

  /** The body of a dismissal. */
  record DismissRequest(String note) {}

  /** A callback as an operator sees it (snake_case; times in epoch seconds; no raw body). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record CallbackView(long id, String object, String rail, String paymentId, String verdict, String verdictDetail,
      Long receivedAt, Long dismissedAt, String dismissedBy, String dismissalNote, Long reprocessedAt,
      String reprocessedBy) {

    static CallbackView of(Inbox.Reviewed r) {
      return new CallbackView(r.id(), "callback", r.rail(), r.paymentId(), r.verdict(), r.verdictDetail(), r.receivedAt(),
          r.dismissedAt(), r.dismissedBy(), r.dismissalNote(), r.reprocessedAt(), r.reprocessedBy());
    }
  }

  @PostMapping(path = "/v1/admin/callbacks/{id}/dismiss", consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<CallbackView> dismiss(ServerWebExchange exchange, @PathVariable String id,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal.of(exchange).require(Principal.ADMIN);
    AuditContext context = audit.context(exchange);
    return body.defaultIfEmpty(new byte[0])
        .map(bytes -> note(strictJson.read(bytes, DismissRequest.class)))
        .flatMap(note -> found(id).flatMap(before -> tx.transactional(inbox.dismiss(before.id(), context.clientId(), note)
                .flatMap(dismissed -> dismissed
                    ? audit.record(context, AuditAction.CALLBACK_DISMISSED, String.valueOf(before.id()),
                        details(before, "note", note)).thenReturn(true)
                    : Mono.just(false)))
            .flatMap(dismissed -> inbox.reviewed(before.id()))
            .map(after -> {
              if (after.dismissedAt() == null) {
                throw ApiProblem.of(ProblemCode.CALLBACK_NOT_QUARANTINED, after.verdict() == null
                    ? "The callback is being processed; it has no verdict yet."
                    : "The callback's verdict is " + after.verdict() + "; only a quarantined callback is dismissed.");
              }
              return CallbackView.of(after);
            })));
  }

  @PostMapping(path = "/v1/admin/callbacks/{id}/reprocess", produces = MediaType.APPLICATION_JSON_VALUE)
  @ResponseStatus(HttpStatus.ACCEPTED)
  Mono<CallbackView> reprocess(ServerWebExchange exchange, @PathVariable String id,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal.of(exchange).require(Principal.ADMIN);
    AuditContext context = audit.context(exchange);
    return body.defaultIfEmpty(new byte[0])
        .doOnNext(strictJson::requireNoFields)
        .then(found(id))
        .flatMap(before -> tx.transactional(inbox.reopenOrphan(before.id(), context.clientId())
                .flatMap(reopened -> reopened
                    ? audit.record(context, AuditAction.CALLBACK_REPROCESSED, String.valueOf(before.id()),
                        details(before, "previous_verdict", before.verdict())).thenReturn(true)
                    : Mono.just(false)))
            .doOnNext(reopened -> {
              if (reopened) {
                processor.wakeUp();
              }
            })
            .flatMap(reopened -> inbox.reviewed(before.id())))
        .map(after -> {
          if (after.reprocessedAt() == null) {
            throw ApiProblem.of(ProblemCode.CALLBACK_NOT_REPROCESSABLE, why(after));
          }
          return CallbackView.of(after);
        });
  }

  private Mono<Inbox.Reviewed> found(String id) {
    long number;
    try {
      number = Long.parseLong(id);
    } catch (NumberFormatException notANumber) {
      return Mono.error(ApiProblem.of(ProblemCode.NOT_FOUND, "No such callback: " + id));
    }
    return inbox.reviewed(number)
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such callback: " + id)));
  }

  private static String why(Inbox.Reviewed callback) {
    if (callback.dismissedAt() != null) {
      return "The callback was dismissed.";
    }
    return switch (callback.verdict() == null ? "" : callback.verdict()) {
      case "mismatch" -> "A mismatch (amount, currency or payer) is never applied; dismiss it once handled.";
      case "late" -> "A late callback met a final payment; running it again cannot change anything. Dismiss it.";
      case "rejected" -> "A rejected callback was unreadable or contradicted by the rail; dismiss it.";
      case "" -> "The callback is being processed.";
      default -> "The callback's verdict is " + callback.verdict() + "; only an orphan is reprocessed.";
    };
  }

  private static String note(DismissRequest request) {
    if (request.note() == null || request.note().isBlank()) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "note", "'note' is required: say why.");
    }
    if (request.note().length() > MAX_NOTE_LENGTH) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "note", "'note' is at most " + MAX_NOTE_LENGTH + " characters.");
    }
    return request.note().strip();
  }

  private static Map<String, Object> details(Inbox.Reviewed callback, String key, String value) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("rail", callback.rail());
    details.put("verdict", callback.verdict());
    if (callback.paymentId() != null) {
      details.put("payment_id", callback.paymentId());
    }
    details.put(key, value);
    return details;
  }
}
