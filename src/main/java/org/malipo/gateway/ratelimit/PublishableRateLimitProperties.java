package org.malipo.gateway.ratelimit;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The bucket of each (publishable key, client address) pair ({@code malipo.rate-limit.publishable.*};
 * issue 19): a publishable key is public, so one abusive device must not spend the whole
 * merchant's budget, nor the merchant's key be spent by one address.
 *
 * @param capacity requests at once; default 30
 * @param refillPerSecond requests a second on average; default 5
 */
@ConfigurationProperties("malipo.rate-limit.publishable")
record PublishableRateLimitProperties(Integer capacity, Double refillPerSecond) {

  PublishableRateLimitProperties {
    capacity = capacity == null ? 30 : capacity;
    refillPerSecond = refillPerSecond == null ? 5.0 : refillPerSecond;
  }

  RateLimitProperties.Limit limit() {
    return new RateLimitProperties.Limit(capacity, refillPerSecond);
  }
}
