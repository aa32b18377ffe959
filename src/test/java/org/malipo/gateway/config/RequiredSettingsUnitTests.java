package org.malipo.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.mock.env.MockEnvironment;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Start-up refuses missing or example secrets outside local and the tests, naming every one. */
class RequiredSettingsUnitTests {

  private static final String KEY = "c3VwZXItc2VjcmV0LWtleS1mb3ItZW5jcnlwdGlvbjE=";

  @TempDir Path dir;

  private static MockEnvironment environment(String... profiles) {
    MockEnvironment environment = new MockEnvironment();
    environment.setActiveProfiles(profiles);
    return environment;
  }

  private MockEnvironment withEverySecret(MockEnvironment environment) throws IOException {
    Path jwks = Files.writeString(dir.resolve("jwks.json"), "{\"keys\":[]}");
    return environment
        .withProperty("malipo.auth.jwk-set-file", jwks.toString())
        .withProperty("malipo.callbacks.mpesa-token", "a".repeat(40))
        .withProperty("malipo.callbacks.mtn-momo-token", "b".repeat(40))
        .withProperty("malipo.cards.fingerprint-key", "c".repeat(64))
        .withProperty("malipo.webhooks.secret-encryption.keys.k1", KEY)
        .withProperty("malipo.webhooks.secret-encryption.active-key", "k1");
  }

  private static List<String> properties(List<RequiredSettings.Problem> problems) {
    return problems.stream().map(RequiredSettings.Problem::property).toList();
  }

  @Test
  void namesEverySecretAndTheAcquirersWhenProductionHasNone() {
    List<RequiredSettings.Problem> problems = RequiredSettings.check(environment());

    assertThat(properties(problems)).containsExactly(
        "malipo.auth.jwk-set-file or malipo.auth.jwk-set",
        "malipo.callbacks.mpesa-token",
        "malipo.callbacks.mtn-momo-token",
        "malipo.cards.fingerprint-key",
        "malipo.webhooks.secret-encryption.keys.<id>",
        "malipo.rails.card.acquirers.<name>.base-url and .api-key");
    assertThat(problems).extracting(RequiredSettings.Problem::environmentVariable).contains(
        "MALIPO_AUTH_JWKSETFILE or MALIPO_AUTH_JWKSET", "MALIPO_CALLBACKS_MPESATOKEN",
        "MALIPO_CALLBACKS_MTNMOMOTOKEN", "MALIPO_CARD_FINGERPRINT_KEY",
        "MALIPO_WEBHOOKS_SECRETENCRYPTION_KEYS_<ID>");
  }

  @Test
  void localAndTestProfilesNeedNothing() {
    assertThat(RequiredSettings.check(environment("local"))).isEmpty();
    assertThat(RequiredSettings.check(environment("local", "bench"))).isEmpty();
    assertThat(RequiredSettings.check(environment("test"))).isEmpty();
  }

  @Test
  void sandboxNeedsTheSecretsAndTheDemoClientsButNoAcquirer() throws IOException {
    assertThat(properties(RequiredSettings.check(withEverySecret(environment("sandbox")))))
        .containsExactly("malipo.demo.client-secret", "malipo.demo.admin-client-secret");

    MockEnvironment complete = withEverySecret(environment("sandbox"))
        .withProperty("malipo.demo.client-secret", "d".repeat(24))
        .withProperty("malipo.demo.admin-client-secret", "e".repeat(24));
    assertThat(RequiredSettings.check(complete)).isEmpty();
  }

  @Test
  void productionStartsWithEverySecretAndARealAcquirer() throws IOException {
    MockEnvironment production = withEverySecret(environment())
        .withProperty("malipo.rails.card.acquirers[acquirer_x].base-url", "https://acquirer.test/api")
        .withProperty("malipo.rails.card.acquirers[acquirer_x].api-key", "k".repeat(40));

    assertThat(RequiredSettings.check(production)).isEmpty();
  }

  @Test
  void productionRefusesTheSandboxAnAcquirerWithoutKeyAndAnUnreplicatedTopic() throws IOException {
    MockEnvironment production = withEverySecret(environment("production"))
        .withProperty("malipo.sandbox.enabled", "true")
        .withProperty("malipo.rails.card.acquirers[acquirer_x].base-url", "https://acquirer.test/api")
        .withProperty("malipo.kafka.topic-replication-factor", "1");

    assertThat(properties(RequiredSettings.check(production))).containsExactly(
        "malipo.sandbox.enabled", "malipo.rails.card.acquirers.acquirer_x.api-key",
        "malipo.kafka.topic-replication-factor");
  }

  @Test
  void refusesPublishedExampleAndShortValues() throws IOException {
    MockEnvironment sandbox = withEverySecret(environment("sandbox"))
        .withProperty("malipo.cards.fingerprint-key", "local-only-fingerprint-key-change-me")
        .withProperty("malipo.callbacks.mpesa-token", "local-mpesa-callback-token")
        .withProperty("malipo.callbacks.mtn-momo-token", "too-short")
        .withProperty("malipo.webhooks.secret-encryption.keys.k1", "bG9jYWwtb25seS13ZWJob29rLXNlY3JldC1rZXktMzI=")
        .withProperty("malipo.demo.client-secret", "demo_secret")
        .withProperty("malipo.demo.admin-client-secret", "REPLACE-ME-with-a-real-one");

    List<RequiredSettings.Problem> problems = RequiredSettings.check(sandbox);

    assertThat(properties(problems)).containsExactly("malipo.callbacks.mpesa-token", "malipo.callbacks.mtn-momo-token",
        "malipo.cards.fingerprint-key", "malipo.webhooks.secret-encryption.keys.k1", "malipo.demo.client-secret",
        "malipo.demo.admin-client-secret");
    assertThat(problems.get(1).reason()).contains("at least 32");
    assertThat(problems).allSatisfy(problem -> assertThat(problem.reason()).doesNotContain("local-mpesa", "demo_secret"));
  }

  @Test
  void checksTheEncryptionKeysShapeAndTheSigningKeyFile() throws IOException {
    MockEnvironment sandbox = withEverySecret(environment("sandbox"))
        .withProperty("malipo.demo.client-secret", "d".repeat(24))
        .withProperty("malipo.demo.admin-client-secret", "e".repeat(24))
        .withProperty("malipo.auth.jwk-set-file", dir.resolve("absent.json").toString())
        .withProperty("malipo.webhooks.secret-encryption.keys.k2", "c2hvcnQ=")
        .withProperty("malipo.webhooks.secret-encryption.active-key", "k3");

    assertThat(RequiredSettings.check(sandbox)).extracting(RequiredSettings.Problem::line).containsExactly(
        "malipo.auth.jwk-set-file (MALIPO_AUTH_JWKSETFILE): names " + dir.resolve("absent.json")
            + ", which does not exist or cannot be read",
        "malipo.webhooks.secret-encryption.keys.k2 (MALIPO_WEBHOOKS_SECRETENCRYPTION_KEYS_K2): must be the base64 of exactly 32 bytes",
        "malipo.webhooks.secret-encryption.active-key (MALIPO_WEBHOOKS_SECRETENCRYPTION_ACTIVEKEY): names key k3, which is not among [k1, k2]");
  }

  @Test
  void aDisabledRailNeedsNoCallbackToken() throws IOException {
    MockEnvironment sandbox = withEverySecret(environment("sandbox"))
        .withProperty("malipo.demo.client-secret", "d".repeat(24))
        .withProperty("malipo.demo.admin-client-secret", "e".repeat(24))
        .withProperty("malipo.rails.mpesa.enabled", "false")
        .withProperty("malipo.callbacks.mpesa-token", "");

    assertThat(RequiredSettings.check(sandbox)).isEmpty();
  }

  @Test
  void everySecretOfTheLocalAndTestProfilesIsRecognisedAsPublished() throws IOException {
    List<String> secrets = List.of("malipo.cards.fingerprint-key", "malipo.callbacks.mpesa-token",
        "malipo.callbacks.mtn-momo-token", "malipo.webhooks.secret-encryption.keys.local", "malipo.demo.client-secret",
        "malipo.demo.admin-client-secret");
    for (String file : List.of("/application-local.yml", "/application-test.yml")) {
      Map<String, Object> yaml = load(file);
      for (String property : secrets) {
        Object value = lookUp(yaml, property);
        if (value != null) {
          String text = String.valueOf(value).replaceAll("^\\$\\{[A-Z_]+:(.*)}$", "$1");
          assertThat(RequiredSettings.isExample(text)).as("%s in %s", property, file).isTrue();
        }
      }
    }
    assertThat(RequiredSettings.isExample(String.valueOf(lookUp(load("/application-test.yml"), "malipo.auth.jwk-set"))))
        .as("the test profile's signing key").isTrue();
  }

  @Test
  void theInitializerStopsTheContextWithOneMessageNamingEverySetting() {
    GenericApplicationContext context = new GenericApplicationContext();
    context.setEnvironment(environment());

    assertThatThrownBy(() -> new RequiredSettingsInitializer().initialize(context))
        .isInstanceOfSatisfying(MissingSettingsException.class, missing -> {
          assertThat(missing.getExitCode()).isEqualTo(78);
          FailureAnalysis analysis = new MissingSettingsFailureAnalyzer().analyze(missing);
          assertThat(analysis.getDescription()).contains("production (no profile active)",
              "MALIPO_CALLBACKS_MPESATOKEN", "MALIPO_CARD_FINGERPRINT_KEY", "MALIPO_AUTH_JWKSETFILE");
          assertThat(analysis.getAction()).contains("docs/configuration.md");
        });
    GenericApplicationContext local = new GenericApplicationContext();
    local.setEnvironment(environment("local"));
    new RequiredSettingsInitializer().initialize(local);
  }

  @Test
  void environmentVariablesFollowRelaxedBindingOrTheExplicitPlaceholder() {
    assertThat(RequiredSettings.environmentVariable("malipo.callbacks.mtn-momo-token")).isEqualTo("MALIPO_CALLBACKS_MTNMOMOTOKEN");
    assertThat(RequiredSettings.environmentVariable("malipo.cards.fingerprint-key")).isEqualTo("MALIPO_CARD_FINGERPRINT_KEY");
    assertThat(RequiredSettings.environmentVariable("malipo.rails.card.acquirers[acquirer_x].api-key"))
        .isEqualTo("MALIPO_RAILS_CARD_ACQUIRERS_ACQUIRER_X_APIKEY");
  }

  private static Map<String, Object> load(String resource) throws IOException {
    try (InputStream in = RequiredSettingsUnitTests.class.getResourceAsStream(resource)) {
      assertThat(in).as(resource).isNotNull();
      return new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
    }
  }

  @SuppressWarnings("unchecked")
  private static Object lookUp(Map<String, Object> yaml, String property) {
    Object node = yaml;
    for (String part : property.split("\\.")) {
      if (!(node instanceof Map<?, ?> map)) {
        return null;
      }
      node = ((Map<String, Object>) map).get(part);
    }
    return node;
  }
}
