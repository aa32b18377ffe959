package org.malipo.gateway.ratelimit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Optional;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.auth.Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Limits every authenticated request (after the Bearer filter, so the merchant is known) by the
 * merchant's {@link TokenBucket}.
 *
 * <p>Each limited answer carries the fields of draft-ietf-httpapi-ratelimit-headers-09:
 * {@code RateLimit-Policy: "default";q=<capacity>;w=<seconds to fill>} and
 * {@code RateLimit: "default";r=<tokens left>;t=<seconds until full>} (policy {@code custom} for
 * a merchant with an override). Over the limit: {@code 429 rate_limited} with
 * {@code Retry-After} (whole seconds until the next token, at least 1). When Redis fails or does
 * not answer within {@code malipo.rate-limit.redis-timeout} the request goes through unlimited and
 * without those fields (fail open: an outage of the limiter must not become an outage of
 * payments), counted by {@code malipo.ratelimit.degraded}. Refusals are counted by
 * {@code malipo.ratelimit.rejected}.
 */
@Component
@Order(-90) // after BearerTokenFilter (-100), which attaches the principal
final class RateLimitFilter implements WebFilter {

  /** Response field with the policy (draft-ietf-httpapi-ratelimit-headers-09 §2). */
  static final String POLICY_HEADER = "RateLimit-Policy";
  /** Response field with the current state (draft-ietf-httpapi-ratelimit-headers-09 §3). */
  static final String STATE_HEADER = "RateLimit";

  private static final Logger log = LoggerFactory.getLogger(RateLimitFilter.class);

  private final TokenBucket bucket;
  private final RateLimitProperties properties;
  private final Counter degraded;
  private final Counter rejected;

  private PublishableRateLimitProperties publishable = new PublishableRateLimitProperties(null, null);
  private org.malipo.gateway.audit.SourceAddresses addresses;

  /** Issue 19: the publishable keys' bucket and the client address reader, set by Spring. */
  @org.springframework.beans.factory.annotation.Autowired
  void setPublishable(PublishableRateLimitProperties publishableLimits, org.malipo.gateway.audit.SourceAddresses sourceAddresses) {
    this.publishable = publishableLimits;
    this.addresses = sourceAddresses;
  }

  RateLimitFilter(TokenBucket bucket, RateLimitProperties properties, MeterRegistry meters) {
    this.bucket = bucket;
    this.properties = properties;
    this.degraded = Counter.builder("malipo.ratelimit.degraded")
        .description("Requests let through unlimited because the rate-limit bucket (Redis) failed or timed out")
        .register(meters);
    this.rejected = Counter.builder("malipo.ratelimit.rejected")
        .description("Requests refused with 429 rate_limited")
        .register(meters);
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    Optional<Principal> principal = Principal.find(exchange);
    if (!properties.enabled() || principal.isEmpty()) {
      return chain.filter(exchange);
    }
    // A publishable key is limited per key and client address (issue 19), a secret one per merchant.
    boolean byKey = principal.get().publishable();
    String merchantId = byKey ? "pk:" + principal.get().clientId() + ":" + clientAddress(exchange)
        : principal.get().merchantId();
    RateLimitProperties.Limit limit = byKey ? publishable.limit() : properties.limitOf(merchantId);
    return bucket.take(merchantId, limit)
        .timeout(properties.redisTimeout())
        .map(Optional::of)
        .onErrorResume(error -> {
          degraded.increment();
          log.debug("rate limit skipped for {}: {}", merchantId, error.toString());
          // The error may arrive on a boundedElastic thread: continue on a non-blocking one.
          return Mono.just(Optional.<TokenBucket.Decision>empty()).publishOn(Schedulers.parallel());
        })
        .flatMap(decision -> decision.isEmpty()
            ? chain.filter(exchange)
            : apply(exchange, chain, merchantId, limit, decision.get()));
  }

  private String clientAddress(ServerWebExchange exchange) {
    if (addresses != null) {
      return addresses.of(exchange);
    }
    java.net.InetSocketAddress remote = exchange.getRequest().getRemoteAddress();
    return remote == null || remote.getAddress() == null ? "unknown" : remote.getAddress().getHostAddress();
  }

  private Mono<Void> apply(ServerWebExchange exchange, WebFilterChain chain, String merchantId,
      RateLimitProperties.Limit limit, TokenBucket.Decision decision) {
    String policy = merchantId.startsWith("pk:") ? "publishable" : properties.policyOf(merchantId);
    HttpHeaders headers = exchange.getResponse().getHeaders();
    headers.set(POLICY_HEADER, "\"" + policy + "\";q=" + limit.capacity() + ";w=" + limit.windowSeconds());
    headers.set(STATE_HEADER, "\"" + policy + "\";r=" + decision.remaining() + ";t=" + ceilSeconds(decision.fullMs()));
    if (decision.allowed()) {
      return chain.filter(exchange);
    }
    rejected.increment();
    long retryAfter = Math.max(1, ceilSeconds(decision.nextTokenMs()));
    return Mono.error(ApiProblem.of(ProblemCode.RATE_LIMITED,
            "Too many requests for this " + (merchantId.startsWith("pk:") ? "key and address" : "merchant") + " (" + limit.capacity() + " at once, " + limit.refillPerSecond()
                + " a second); retry in " + retryAfter + " s.")
        .withHeaders(Map.of("Retry-After", Long.toString(retryAfter))));
  }

  private static long ceilSeconds(long millis) {
    return (millis + 999) / 1000;
  }
}
