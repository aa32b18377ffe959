package org.malipo.gateway.payment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * The global ceiling of payment requests in flight on this instance: above
 * {@code malipo.payments.max-in-flight}, a new {@code POST /v1/payments} is answered
 * {@code 503 overloaded} with {@code Retry-After} before any I/O, so memory stays flat under any
 * overload. Gauge {@code malipo.payments.in_flight}, counter {@code malipo.payments.shed}.
 *
 * <p>Timer {@code malipo.payments.own_time}: the time in the gateway of each admitted payment that
 * reached a rail, without its rail calls' ({@link RailWait}), the part of a payment's latency this
 * instance's CPU, pools and database make; a slow acquirer shows in {@code malipo.pipeline.stage}
 * ({@code stage=rail}), not here. The ceiling stays fixed: a limit adapting to this time was
 * measured and not adopted (docs/adr/0064-fixed-in-flight-ceiling.md).
 *
 * <p>It runs before authentication and the per-merchant rate limit: the rate limiter asks Redis,
 * and a shed answer must cost no I/O (0.16 ms of CPU each; how fast it leaves still depends on how
 * busy the cores are, docs/performance-history.md "Sixth pass").
 *
 * <p>A request counts when the router would send it to the create-payment handler, however its
 * path is spelt: the path is matched with the router's own {@link PathPattern} rules, which decode
 * each segment and drop its {@code ;} parameters ({@code /v1/payment%73} and
 * {@code /v1/payments;x=1} are payments too), as {@code auth.BearerTokenFilter} does.
 */
@Component
@Order(-200) // after the request id, security headers and body size filters; before BearerTokenFilter (-100)
final class InFlightLimiter implements WebFilter {

  private static final PathPattern CREATE_PAYMENT = PathPatternParser.defaultInstance.parse("/v1/payments");

  private final AtomicInteger inFlight = new AtomicInteger();
  private final int maxInFlight;
  private final ProblemWriter problems;
  private final Counter shed;
  private final Timer ownTime;

  InFlightLimiter(@Value("${malipo.payments.max-in-flight:2000}") int maxInFlight, ProblemWriter problems, MeterRegistry meters) {
    this.maxInFlight = maxInFlight;
    this.problems = problems;
    this.shed = meters.counter("malipo.payments.shed");
    this.ownTime = Timer.builder("malipo.payments.own_time")
        .description("A payment's time in the gateway without its rail calls")
        .register(meters);
    Gauge.builder("malipo.payments.in_flight", inFlight, AtomicInteger::get).register(meters);
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    if (exchange.getRequest().getMethod() != HttpMethod.POST
        || !CREATE_PAYMENT.matches(exchange.getRequest().getPath().pathWithinApplication())) {
      return chain.filter(exchange);
    }
    if (inFlight.incrementAndGet() > maxInFlight) {
      inFlight.decrementAndGet();
      shed.increment();
      return problems.write(exchange, ApiProblem.of(ProblemCode.OVERLOADED,
              "The gateway is at its in-flight limit; retry shortly.")
          .withHeaders(Map.of("Retry-After", "1")));
    }
    long start = System.nanoTime();
    RailWait railWait = new RailWait();
    return chain.filter(exchange)
        .contextWrite(context -> RailWait.into(context, railWait))
        .doFinally(signal -> {
          inFlight.decrementAndGet();
          // A cancelled request (the client left) did not run its course.
          if (signal == SignalType.ON_COMPLETE && railWait.reachedRail()) {
            ownTime.record(System.nanoTime() - start - railWait.nanos(), TimeUnit.NANOSECONDS);
          }
        });
  }
}
