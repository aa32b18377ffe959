package org.malipo.gateway.webhook;

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
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/admin/webhook_deliveries/{id}/redeliver} (scope {@code admin}, any merchant; the
 * console's "callbacks and webhooks" screen): sends a dead delivery's event again to the same
 * endpoint as a new delivery, through {@link DeliveryRecorder#redeliverDead}; the dead one stays as
 * history. {@code 202} with the new delivery; a repeated request answers the same delivery and
 * sends nothing more. Audited ({@code webhook_delivery.redelivered}, target the dead delivery) with
 * the operator's client, in the delivery's transaction. No body (empty or {@code {}}).
 *
 * <p>Errors: {@code 404 not_found} (no such delivery), {@code 409 webhook_delivery_not_redeliverable}
 * (not dead, or its endpoint is deleted or disabled: nothing written), {@code 400 parameter_unknown}.
 */
@RestController
final class OperatorRedeliveryController {

  private final WebhookDeliveries deliveries;
  private final DeliveryRecorder recorder;
  private final StrictJson strictJson;
  private final AuditLog audit;

  OperatorRedeliveryController(WebhookDeliveries deliveries, DeliveryRecorder recorder, StrictJson strictJson,
      AuditLog audit) {
    this.deliveries = deliveries;
    this.recorder = recorder;
    this.strictJson = strictJson;
    this.audit = audit;
  }

  @PostMapping(path = "/v1/admin/webhook_deliveries/{id}/redeliver", produces = MediaType.APPLICATION_JSON_VALUE)
  @ResponseStatus(HttpStatus.ACCEPTED)
  Mono<WebhookDeliveries.OperatorView> redeliver(ServerWebExchange exchange, @PathVariable String id,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal.of(exchange).require(Principal.ADMIN);
    AuditContext context = audit.context(exchange);
    return body.defaultIfEmpty(new byte[0])
        .doOnNext(strictJson::requireNoFields)
        .then(deliveries.redeliverable(id))
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such webhook delivery: " + id)))
        .flatMap(dead -> redeliver(context, dead))
        .flatMap(deliveries::operatorView);
  }

  private Mono<String> redeliver(AuditContext context, WebhookDeliveries.Redeliverable dead) {
    if (dead.redeliveryId() != null) {
      return Mono.just(dead.redeliveryId());
    }
    if (!"dead".equals(dead.status())) {
      return Mono.error(ApiProblem.of(ProblemCode.WEBHOOK_DELIVERY_NOT_REDELIVERABLE,
          "The delivery is " + dead.status() + ", not dead; only a dead delivery is redelivered."));
    }
    if (!dead.endpointLive()) {
      return Mono.error(ApiProblem.of(ProblemCode.WEBHOOK_DELIVERY_NOT_REDELIVERABLE,
          "The endpoint " + dead.endpointId() + " is deleted or disabled; the merchant must enable an endpoint first."));
    }
    return recorder.redeliverDead(dead, newId -> audit.record(context, AuditAction.WEBHOOK_DELIVERY_REDELIVERED,
            dead.id(), details(dead, newId)))
        .map(DeliveryRecorder.Redelivery::deliveryId);
  }

  private static Map<String, Object> details(WebhookDeliveries.Redeliverable dead, String newId) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("redelivery_id", newId);
    details.put("merchant_id", dead.merchantId());
    details.put("endpoint_id", dead.endpointId());
    details.put("event_id", dead.eventId());
    return details;
  }
}
