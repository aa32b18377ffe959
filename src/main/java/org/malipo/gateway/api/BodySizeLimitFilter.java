package org.malipo.gateway.api;

import java.util.concurrent.atomic.AtomicLong;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Refuses request bodies over {@code malipo.http.max-body-size} (default 64 KiB) with
 * {@code 413 payload_too_large}: at once when {@code Content-Length} says so, and while streaming
 * when a chunked body grows past the limit, so an oversized body is never buffered whole.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
final class BodySizeLimitFilter implements WebFilter {

  private final long maxBytes;

  BodySizeLimitFilter(@Value("${malipo.http.max-body-size:64KB}") DataSize maxBodySize) {
    this.maxBytes = maxBodySize.toBytes();
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    ServerHttpRequest request = exchange.getRequest();
    long declared = request.getHeaders().getContentLength();
    if (declared > maxBytes) {
      return Mono.error(tooLarge());
    }
    ServerHttpRequest limited = new ServerHttpRequestDecorator(request) {
      @Override
      public Flux<DataBuffer> getBody() {
        AtomicLong seen = new AtomicLong();
        return super.getBody().handle((buffer, sink) -> {
          if (seen.addAndGet(buffer.readableByteCount()) > maxBytes) {
            DataBufferUtils.release(buffer);
            sink.error(tooLarge());
          } else {
            sink.next(buffer);
          }
        });
      }
    };
    return chain.filter(exchange.mutate().request(limited).build());
  }

  private ApiProblem tooLarge() {
    return ApiProblem.of(ProblemCode.PAYLOAD_TOO_LARGE, "The request body exceeds " + maxBytes + " bytes.");
  }
}
