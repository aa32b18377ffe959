package org.malipo.gateway.contract;

import com.atlassian.oai.validator.model.ApiOperationMatch;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.SimpleValidationReportFormat;
import com.atlassian.oai.validator.report.ValidationReport;
import io.swagger.v3.oas.models.headers.Header;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.client.reactive.ClientHttpRequestDecorator;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Checks every exchange of the shared {@code WebTestClient} against {@code contracts/openapi.yaml}
 * and fails the test with the validator's report when the code and the contract disagree.
 *
 * <p>Rules (docs/adr/0030-contract-tests-validate-every-exchange.md):
 * <ul>
 *   <li>The response must match the documented operation: status, content type, body schema
 *       (closed objects, so an undocumented field fails), required headers; and every response
 *       header outside {@link #TRANSPORT_HEADERS} must be declared for that status or in the
 *       spec's {@code x-common-response-headers} (the security headers, required on every
 *       response; the RateLimit fields, allowed on operations that document 429), whose values
 *       must match their components (docs/adr/0051).
 *   <li>A request that breaks the contract is a deliberate bad-input test: it must be refused
 *       with a 4xx that is itself documented. A request the contract forbids that gets a 2xx
 *       fails (the gateway accepted what it promised to refuse).
 *   <li>A path or method the contract does not have must be answered with a {@code Problem}
 *       (401 before routing, 404, 405) and nothing else.
 * </ul>
 * Validation runs on {@code boundedElastic}: the validator loads schemas lazily and may touch the
 * class path, which BlockHound would rightly flag on an event-loop thread.
 */
public final class ContractValidatingFilter implements ExchangeFilterFunction {

  /** Hop-by-hop and representation headers the transport adds; not part of any API contract. */
  static final Set<String> TRANSPORT_HEADERS = Set.of(
      "content-type", "content-length", "transfer-encoding", "connection", "keep-alive", "date", "vary");

  private final OpenApiContract contract;

  public ContractValidatingFilter(OpenApiContract contract) {
    this.contract = contract;
  }

  @Override
  public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    ClientRequest recording = ClientRequest.from(request)
        .body((message, context) -> request.body().insert(new Recording(message, sent), context))
        .build();
    return next.exchange(recording)
        .flatMap(response -> response.bodyToMono(byte[].class)
            .defaultIfEmpty(new byte[0])
            .publishOn(Schedulers.boundedElastic())
            .handle((byte[] received, reactor.core.publisher.SynchronousSink<ClientResponse> sink) -> {
              String failure = check(request, sent.toByteArray(), response, received);
              if (failure != null) {
                sink.error(new AssertionError(failure));
                return;
              }
              sink.next(response.mutate()
                  .body(Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(received)))
                  .build());
            }));
  }

  /** The failure message, or {@code null} when the exchange honours the contract. */
  private String check(ClientRequest request, byte[] requestBody, ClientResponse response, byte[] responseBody) {
    URI uri = request.url();
    String path = uri.getRawPath();
    Request.Method method = Request.Method.valueOf(request.method().name());
    SimpleRequest apiRequest = toRequest(request, method, path, requestBody);
    SimpleResponse apiResponse = toResponse(response, responseBody);
    int status = response.statusCode().value();
    String exchange = method + " " + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
        + " -> " + status;

    ApiOperationMatch match = contract.operation(path, method);
    if (!match.isPathFound() || !match.isOperationAllowed()) {
      return unroutedAnswer(exchange, status, response.headers().asHttpHeaders(), responseBody);
    }
    List<String> failures = new ArrayList<>();
    ValidationReport requestReport = contract.validator().validateRequest(apiRequest);
    if (requestReport.hasErrors() && status < 400) {
      failures.add("The request breaks the contract but was accepted with " + status + ":\n"
          + SimpleValidationReportFormat.getInstance().apply(requestReport));
    }
    if (requestReport.hasErrors() && status >= 500) {
      failures.add("A request that breaks the contract must be refused with a 4xx, not " + status);
    }
    ValidationReport responseReport = contract.validator().validateResponse(path, method, apiResponse);
    if (responseReport.hasErrors()) {
      failures.add("The response breaks the contract:\n" + SimpleValidationReportFormat.getInstance().apply(responseReport));
    }
    var operation = match.getApiOperation().getOperation();
    Set<String> declared = contract.declaredHeaders(operation, status);
    Map<String, Header> common = commonHeaders(OpenApiContract.isRateLimited(operation));
    failures.addAll(commonHeaderFailures(response.headers().asHttpHeaders(), common, declared));
    for (String name : response.headers().asHttpHeaders().headerNames()) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!TRANSPORT_HEADERS.contains(lower) && !declared.contains(lower) && !common.containsKey(lower)) {
        failures.add("Response header '" + name + "' is not documented for status " + status);
      }
    }
    return failures.isEmpty() ? null : exchange + " breaks contracts/openapi.yaml:\n" + String.join("\n", failures);
  }

  /**
   * The headers of {@code x-common-response-headers} that apply: every response's, and the
   * RateLimit fields on rate-limited operations (and unrouted {@code /v1} paths, which the limiter
   * also sees).
   */
  private Map<String, Header> commonHeaders(boolean rateLimited) {
    Map<String, Header> common = new TreeMap<>(contract.commonHeaders("every-response"));
    if (rateLimited) {
      common.putAll(contract.commonHeaders("rate-limited-operations"));
    }
    return common;
  }

  /**
   * Every-response headers must be present (unless the operation documents its own for this
   * status, which the validator checks) and every common header present must match its component.
   */
  private List<String> commonHeaderFailures(HttpHeaders headers, Map<String, Header> common, Set<String> declared) {
    List<String> failures = new ArrayList<>();
    Set<String> everyResponse = contract.commonHeaders("every-response").keySet();
    common.forEach((name, header) -> {
      if (declared.contains(name)) {
        return;
      }
      String value = headers.getFirst(name);
      if (value == null) {
        if (everyResponse.contains(name)) {
          failures.add("Response header '" + name + "' (x-common-response-headers.every-response) is missing");
        }
        return;
      }
      String failure = OpenApiContract.headerValueFailure(name, value, header);
      if (failure != null) {
        failures.add(failure);
      }
    });
    return failures;
  }

  /** A path or method with no operation: only a problem document about that is allowed. */
  private String unroutedAnswer(String exchange, int status, HttpHeaders headers, byte[] body) {
    if (status != 401 && status != 404 && status != 405) {
      return exchange + ": no operation in contracts/openapi.yaml for this path and method, so only 401, 404 or"
          + " 405 is a valid answer";
    }
    String contentType = String.valueOf(headers.getContentType());
    if (!contentType.startsWith("application/problem+json")) {
      return exchange + ": an unrouted request must be answered with application/problem+json, not " + contentType;
    }
    ValidationReport report = contract.validateAgainst("Problem", new String(body, StandardCharsets.UTF_8));
    if (report.hasErrors()) {
      return exchange + ": the problem document breaks the Problem schema:\n"
          + SimpleValidationReportFormat.getInstance().apply(report);
    }
    Map<String, Header> common = commonHeaders(true);
    List<String> failures = commonHeaderFailures(headers, common, Set.of());
    if (!failures.isEmpty()) {
      return exchange + ": " + String.join("\n", failures);
    }
    for (String name : headers.headerNames()) {
      String lower = name.toLowerCase(Locale.ROOT);
      boolean allowed = TRANSPORT_HEADERS.contains(lower) || lower.equals("x-request-id") || common.containsKey(lower)
          || (status == 401 && lower.equals("www-authenticate")) || (status == 405 && lower.equals("allow"));
      if (!allowed) {
        return exchange + ": response header '" + name + "' is not documented";
      }
    }
    return null;
  }

  private static SimpleRequest toRequest(ClientRequest request, Request.Method method, String path, byte[] body) {
    SimpleRequest.Builder builder = new SimpleRequest.Builder(method, path);
    request.headers().forEach(builder::withHeader);
    UriComponentsBuilder.fromUri(request.url()).build().getQueryParams().forEach((name, values) ->
        builder.withQueryParam(decode(name), values.stream().map(v -> v == null ? "" : decode(v)).toList()));
    if (body.length > 0) {
      builder.withBody(body);
    }
    return builder.build();
  }

  private static SimpleResponse toResponse(ClientResponse response, byte[] body) {
    SimpleResponse.Builder builder = new SimpleResponse.Builder(response.statusCode().value());
    response.headers().asHttpHeaders().forEach(builder::withHeader);
    if (body.length > 0) {
      builder.withBody(body);
    }
    return builder.build();
  }

  private static String decode(String value) {
    return URLDecoder.decode(value, StandardCharsets.UTF_8);
  }

  /** Copies the request body as it is written, so the validator sees exactly what was sent. */
  private static final class Recording extends ClientHttpRequestDecorator {

    private final ByteArrayOutputStream sink;

    Recording(ClientHttpRequest delegate, ByteArrayOutputStream sink) {
      super(delegate);
      this.sink = sink;
    }

    @Override
    public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
      return super.writeWith(Flux.from(body).doOnNext(this::copy));
    }

    @Override
    public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
      return super.writeAndFlushWith(Flux.from(body).map(part -> Flux.from(part).doOnNext(this::copy)));
    }

    private void copy(DataBuffer buffer) {
      byte[] bytes = new byte[buffer.readableByteCount()];
      buffer.toByteBuffer().get(bytes);
      synchronized (sink) {
        sink.writeBytes(bytes);
      }
    }
  }
}
