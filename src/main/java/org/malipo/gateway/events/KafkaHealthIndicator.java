package org.malipo.gateway.events;

import java.time.Duration;
import org.springframework.boot.health.contributor.AbstractReactiveHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Health contributor {@code kafka}: up when a broker answers a describe-cluster within 2 s. */
@Component("kafka")
final class KafkaHealthIndicator extends AbstractReactiveHealthIndicator {

  private final KafkaAdmin admin;

  KafkaHealthIndicator(KafkaAdmin admin) {
    super("Kafka health check failed");
    this.admin = admin;
  }

  @Override
  protected Mono<Health> doHealthCheck(Health.Builder builder) {
    return admin.clusterId(Duration.ofSeconds(2)).map(id -> builder.up().withDetail("clusterId", id).build());
  }
}
