package org.malipo.gateway.webhook;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.PageSizes;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditContext;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.events.EventTypes;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code /v1/webhook_endpoints}: register (the answer carries the signing secret, shown once),
 * list, read, delete, rotate the secret, and list an endpoint's deliveries. Writes need scope
 * {@code payments:write}, reads {@code payments:read}; another merchant's endpoint is {@code 404}.
 * Create, delete and rotation are audited in the transaction of the change (ADR 0055).
 */
@RestController
@RequestMapping(path = "/v1/webhook_endpoints", produces = MediaType.APPLICATION_JSON_VALUE)
final class WebhookEndpointController {

  private static final int EVENTS_MAX = EventTypes.ALL.size();

  private final WebhookEndpoints endpoints;
  private final WebhookDeliveries deliveries;
  private final WebhookSecrets secrets;
  private final EndpointUrlPolicy urls;
  private final StrictJson strictJson;
  private final WebhookProperties properties;
  private final AuditLog audit;
  private final TransactionalOperator tx;

  WebhookEndpointController(WebhookEndpoints endpoints, WebhookDeliveries deliveries, WebhookSecrets secrets,
      EndpointUrlPolicy urls, StrictJson strictJson, WebhookProperties properties, AuditLog audit,
      TransactionalOperator tx) {
    this.audit = audit;
    this.tx = tx;
    this.endpoints = endpoints;
    this.deliveries = deliveries;
    this.secrets = secrets;
    this.urls = urls;
    this.strictJson = strictJson;
    this.properties = properties;
  }

  /** The request body of {@code POST /v1/webhook_endpoints}. */
  record CreateRequest(String url, List<String> events) {}

  /**
   * An endpoint as the API shows it; {@code secret} only in the answers to create and rotate.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record EndpointView(String id, String object, String url, List<String> events, boolean enabled,
      String createdAt, String secret, boolean livemode) {

    static EndpointView of(WebhookEndpoints.Endpoint endpoint, boolean withSecret) {
      return new EndpointView(endpoint.id(), "webhook_endpoint", endpoint.url(), endpoint.events(), endpoint.enabled(),
          endpoint.createdAt().toString(), withSecret ? endpoint.secret() : null, endpoint.livemode());
    }
  }

  /** {@code {object: "list", data: [...], has_more}}. */
  record ListView<T>(String object, List<T> data, boolean hasMore) {}

  @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
  @ResponseStatus(HttpStatus.CREATED)
  Mono<EndpointView> create(ServerWebExchange exchange, @RequestBody(required = false) Mono<byte[]> body) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_WRITE);
    return body.defaultIfEmpty(new byte[0]).flatMap(bytes -> {
      CreateRequest request = strictJson.read(bytes, CreateRequest.class);
      String url = urls.validate(request.url()).toString();
      List<String> events = validEvents(request.events());
      return endpoints.countLive(principal.merchantId()).flatMap(live -> {
        if (live >= properties.maxEndpointsPerMerchant()) {
          return Mono.error(ApiProblem.of(ProblemCode.WEBHOOK_ENDPOINT_LIMIT_REACHED,
              "At most " + properties.maxEndpointsPerMerchant() + " webhook endpoints per merchant."));
        }
        return tx.transactional(endpoints.create(principal.merchantId(), principal.livemode(), url, events, secrets.next())
                .flatMap(endpoint -> audit.record(audit.context(exchange), AuditAction.WEBHOOK_ENDPOINT_CREATED,
                    endpoint.id(), Map.of("url", endpoint.url(), "events", endpoint.events())).thenReturn(endpoint)))
            .map(endpoint -> EndpointView.of(endpoint, true));
      });
    });
  }

  @GetMapping
  Mono<ListView<EndpointView>> list(ServerWebExchange exchange) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_READ);
    return endpoints.list(principal.merchantId(), principal.livemode(), properties.maxEndpointsPerMerchant())
        .map(endpoint -> EndpointView.of(endpoint, false))
        .collectList()
        .map(rows -> new ListView<>("list", rows, false));
  }

  @GetMapping("/{id}")
  Mono<EndpointView> get(ServerWebExchange exchange, @PathVariable String id) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_READ);
    return endpoints.find(principal.merchantId(), principal.livemode(), id)
        .map(endpoint -> EndpointView.of(endpoint, false))
        .switchIfEmpty(notFound(id));
  }

  @DeleteMapping("/{id}")
  Mono<DeletedView> delete(ServerWebExchange exchange, @PathVariable String id) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_WRITE);
    AuditContext context = audit.context(exchange);
    return tx.transactional(endpoints.delete(principal.merchantId(), principal.livemode(), id)
            .flatMap(deleted -> deleted
                ? audit.record(context, AuditAction.WEBHOOK_ENDPOINT_DELETED, id, Map.of()).thenReturn(true)
                : Mono.just(false)))
        .flatMap(deleted -> deleted ? Mono.just(new DeletedView(id, "webhook_endpoint", true)) : notFound(id));
  }

  /** {@code {id, object, deleted: true}}. */
  record DeletedView(String id, String object, boolean deleted) {}

  @PostMapping("/{id}/rotate_secret")
  Mono<EndpointView> rotate(ServerWebExchange exchange, @PathVariable String id,
      @RequestBody(required = false) Mono<byte[]> body) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_WRITE);
    AuditContext context = audit.context(exchange);
    // The secret is always ours: a body asking for one (or anything else) is refused, not ignored.
    return body.defaultIfEmpty(new byte[0])
        .doOnNext(strictJson::requireNoFields)
        .then(Mono.defer(() -> tx.transactional(endpoints.rotate(principal.merchantId(), principal.livemode(), id, secrets.next())
            .flatMap(endpoint -> audit.record(context, AuditAction.WEBHOOK_ENDPOINT_SECRET_ROTATED, id,
                Map.of("previous_secret_expires_at", String.valueOf(endpoint.previousSecretExpiresAt())))
                .thenReturn(endpoint)))))
        .map(endpoint -> EndpointView.of(endpoint, true))
        .switchIfEmpty(notFound(id));
  }

  /**
   * The endpoint's deliveries, newest first.
   *
   * @param limit 1-100, default 10
   */
  @GetMapping("/{id}/deliveries")
  Mono<ListView<WebhookDeliveries.DeliveryView>> deliveries(ServerWebExchange exchange, @PathVariable String id,
      @RequestParam(name = "limit", required = false) String limit) {
    Principal principal = Principal.of(exchange).require(Principal.PAYMENTS_READ);
    int size = PageSizes.parse(limit);
    return endpoints.find(principal.merchantId(), principal.livemode(), id)
        .switchIfEmpty(notFound(id))
        .flatMap(endpoint -> deliveries.forEndpoint(principal.merchantId(), endpoint.id(), size + 1).collectList())
        .map(rows -> new ListView<>("list", rows.size() > size ? rows.subList(0, size) : rows, rows.size() > size));
  }

  private static List<String> validEvents(List<String> events) {
    if (events == null || events.isEmpty()) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, "events", "events must list at least one event type.");
    }
    LinkedHashSet<String> unique = new LinkedHashSet<>();
    for (int i = 0; i < events.size(); i++) {
      String type = events.get(i);
      if (type == null || !EventTypes.ALL.contains(type)) {
        throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "events[" + i + "]",
            "Unknown event type '" + type + "'; see contracts/asyncapi.yaml.");
      }
      unique.add(type);
    }
    if (unique.size() > EVENTS_MAX) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "events", "Too many event types.");
    }
    return List.copyOf(unique);
  }


  private static <T> Mono<T> notFound(String id) {
    return Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No such webhook endpoint: " + id));
  }
}
