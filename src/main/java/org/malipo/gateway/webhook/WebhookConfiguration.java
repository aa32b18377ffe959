package org.malipo.gateway.webhook;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** Webhook beans that need a decision at start-up: the URL policy by profile, the retry schedule. */
@Configuration(proxyBeanMethods = false)
class WebhookConfiguration {

  /**
   * Local targets ({@code http}, loopback and private addresses) when
   * {@code malipo.webhooks.allow-local-targets} is true, which only the {@code local} profile (on by
   * default there) and the tests may set: elsewhere it fails the start-up (ADR 0054).
   */
  @Bean
  EndpointUrlPolicy endpointUrlPolicy(Environment environment) {
    boolean local = environment.getProperty("malipo.webhooks.allow-local-targets", Boolean.class, false);
    if (local && !environment.matchesProfiles("local | test")) {
      throw new IllegalStateException("malipo.webhooks.allow-local-targets may only be set in the local profile");
    }
    return new EndpointUrlPolicy(local);
  }

  @Bean
  RetrySchedule webhookRetrySchedule(WebhookProperties properties) {
    return new RetrySchedule(properties);
  }
}
