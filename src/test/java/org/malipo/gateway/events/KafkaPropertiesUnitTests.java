package org.malipo.gateway.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** Kafka settings: production defaults, and security settings passed through from the environment. */
class KafkaPropertiesUnitTests {

  private static KafkaProperties fromEnvironmentVariables(Map<String, Object> variables) {
    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().addFirst(new SystemEnvironmentPropertySource(
        "test-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables));
    ConfigurationPropertySources.attach(environment);
    return Binder.get(environment).bindOrCreate("malipo.kafka", KafkaProperties.class);
  }

  @Test
  void passesSecuritySettingsFromEnvironmentVariablesToEveryClient() {
    KafkaProperties properties = fromEnvironmentVariables(Map.of(
        "MALIPO_KAFKA_BOOTSTRAPSERVERS", "kafka-1:9093",
        "MALIPO_KAFKA_PROPERTIES_SECURITY_PROTOCOL", "SASL_SSL",
        "MALIPO_KAFKA_PROPERTIES_SASL_MECHANISM", "SCRAM-SHA-512",
        "MALIPO_KAFKA_PROPERTIES_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "MALIPO_KAFKA_PROPERTIES_SSL_TRUSTSTORE_LOCATION", "/etc/malipo/kafka/truststore.p12"));

    Map<String, Object> config = properties.clientConfig(Map.of(ProducerConfig.ACKS_CONFIG, "all"));

    assertThat(config).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;")
        .containsEntry("ssl.truststore.location", "/etc/malipo/kafka/truststore.p12")
        .containsEntry("acks", "all");
    assertThat(properties.toString()).as("credentials never printed").doesNotContain("ScramLoginModule");
  }

  @Test
  void aPassThroughCannotWeakenTheGatewaysOwnSettings() {
    KafkaProperties properties = fromEnvironmentVariables(Map.of("MALIPO_KAFKA_PROPERTIES_ACKS", "1",
        "MALIPO_KAFKA_PROPERTIES_ENABLE_IDEMPOTENCE", "false"));

    Map<String, Object> config = properties.clientConfig(Map.of(ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true));

    assertThat(config).containsEntry("acks", "all").containsEntry("enable.idempotence", true);
  }

  @Test
  void theTopicIsReplicatedThreeTimesUnlessConfiguredOtherwise() {
    KafkaProperties defaults = fromEnvironmentVariables(Map.of());
    assertThat(defaults.topicReplicationFactor()).isEqualTo((short) 3);
    assertThat(defaults.topicMinInsyncReplicas()).isEqualTo((short) 2);
    assertThat(defaults.topicPartitions()).isEqualTo(6);
    assertThat(defaults.topicCreate()).isTrue();

    KafkaProperties oneNode = fromEnvironmentVariables(Map.of("MALIPO_KAFKA_TOPICREPLICATIONFACTOR", "1",
        "MALIPO_KAFKA_TOPICPARTITIONS", "12"));
    assertThat(oneNode.topicReplicationFactor()).isEqualTo((short) 1);
    assertThat(oneNode.topicMinInsyncReplicas()).as("never above the replicas").isEqualTo((short) 1);
    assertThat(oneNode.topicPartitions()).isEqualTo(12);
  }
}
