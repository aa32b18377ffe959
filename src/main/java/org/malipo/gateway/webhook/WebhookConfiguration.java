package org.malipo.gateway.webhook;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** Webhook beans that need a decision at start-up: the URL policy by profile, the retry schedule. */
@Configuration(proxyBeanMethods = false)
class WebhookConfiguration {

  /** Relaxed ({@code http}, loopback, private addresses) only in the {@code local} and {@code test} profiles. */
  @Bean
  EndpointUrlPolicy endpointUrlPolicy(Environment environment) {
    return new EndpointUrlPolicy(environment.matchesProfiles("local | test"));
  }

  @Bean
  RetrySchedule webhookRetrySchedule(WebhookProperties properties) {
    return new RetrySchedule(properties);
  }
}
