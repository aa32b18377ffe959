package org.malipo.gateway.payment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.ProblemWriter;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The global ceiling of payment requests in flight on this instance: above
 * {@code malipo.payments.max-in-flight}, a new {@code POST /v1/payments} is answered
 * {@code 503 overloaded} with {@code Retry-After} before any I/O, so memory stays flat under any
 * overload. Gauge {@code malipo.payments.in_flight}, counter {@code malipo.payments.shed}.
 *
 * <p>It runs before authentication and the per-merchant rate limit: the rate limiter asks Redis,
 * and a shed answer must cost no I/O (a few ms p99 however loaded the gateway is).
 */
@Component
@Order(-200) // after the request id, security headers and body size filters; before BearerTokenFilter (-100)
final class InFlightLimiter implements WebFilter {

  private final AtomicInteger inFlight = new AtomicInteger();
  private final int maxInFlight;
  private final ProblemWriter problems;
  private final Counter shed;

  InFlightLimiter(@Value("${malipo.payments.max-in-flight:2000}") int maxInFlight, ProblemWriter problems, MeterRegistry meters) {
    this.maxInFlight = maxInFlight;
    this.problems = problems;
    this.shed = meters.counter("malipo.payments.shed");
    Gauge.builder("malipo.payments.in_flight", inFlight, AtomicInteger::get).register(meters);
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    if (exchange.getRequest().getMethod() != HttpMethod.POST
        || !"/v1/payments".equals(exchange.getRequest().getPath().pathWithinApplication().value())) {
      return chain.filter(exchange);
    }
    if (inFlight.incrementAndGet() > maxInFlight) {
      inFlight.decrementAndGet();
      shed.increment();
      return problems.write(exchange, ApiProblem.of(ProblemCode.OVERLOADED,
              "The gateway is at its in-flight limit; retry shortly.")
          .withHeaders(Map.of("Retry-After", "1")));
    }
    return chain.filter(exchange).doFinally(signal -> inFlight.decrementAndGet());
  }
}
