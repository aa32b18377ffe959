package org.malipo.gateway.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * The settings a deployment must give the gateway itself: secrets, which have no built-in value
 * outside the {@code local} profile and the tests, and in production the real rails.
 *
 * <p>{@link #check} reads the environment once, before any bean exists, and returns every problem
 * at once, so an operator fixes them in one round instead of one per restart
 * (docs/adr/0066-profiles-and-required-secrets.md, docs/configuration.md).
 *
 * <p>Profiles: {@code local} (developer machine) and {@code test} are exempt: their values come
 * from {@code application-local.yml} and {@code application-test.yml} and are public. {@code
 * sandbox} (a deployable test environment: in-process sandbox rails, test cards) needs every
 * secret and the demo clients' secrets. Anything else is production: every secret, no sandbox,
 * real card acquirers, a replicated events topic.
 */
public final class RequiredSettings {

  /** Least length of a secret given as text (a 32-character key is 128 bits in hex). */
  static final int MIN_SECRET_LENGTH = 32;

  /** Least length of a demo client's secret in the sandbox profile. */
  static final int MIN_CLIENT_SECRET_LENGTH = 16;

  /** Bytes of a webhook-secret encryption key (AES-256). */
  static final int ENCRYPTION_KEY_BYTES = 32;

  /**
   * Values that are published (in this repository's local and test profiles or its docs), so a
   * deployment that copied one has no secret at all.
   */
  private static final Set<String> PUBLISHED = Set.of(
      "local-only-fingerprint-key-change-me",
      "local-mpesa-callback-token",
      "local-momo-callback-token",
      "demo_secret",
      "admin_secret",
      "sandbox-acquirer-key",
      // application-local.yml's and application-test.yml's webhook-secret encryption key.
      "bG9jYWwtb25seS13ZWJob29rLXNlY3JldC1rZXktMzI=",
      // The private part of application-test.yml's ES256 key (kid test-key-1).
      "pgIKazn_sszDapcjQJG9xezyeqe2gBUyYTKPR71ZKVI");

  /** Words that mark a placeholder copied from an example rather than a generated secret. */
  private static final List<String> PLACEHOLDER_WORDS = List.of("change-me", "changeme", "change_me", "example",
      "replace-me", "placeholder", "<", "${");

  /** Properties whose environment variable is an explicit placeholder in application.yml. */
  private static final Map<String, String> EXPLICIT_VARIABLES = Map.of(
      "malipo.cards.fingerprint-key", "MALIPO_CARD_FINGERPRINT_KEY",
      "malipo.kafka.bootstrap-servers", "MALIPO_KAFKA_BOOTSTRAP");

  private RequiredSettings() {}

  /**
   * One setting that is missing or unusable.
   *
   * @param property the property name, e.g. {@code malipo.cards.fingerprint-key}
   * @param environmentVariable the variable that sets it, e.g. {@code MALIPO_CARD_FINGERPRINT_KEY}
   * @param reason what is wrong and what to give, without the value itself
   */
  public record Problem(String property, String environmentVariable, String reason) {

    /** One line of the start-up message. */
    public String line() {
      return property + " (" + environmentVariable + "): " + reason;
    }
  }

  /** Which rules apply. */
  public enum Mode {
    /** {@code local} or {@code test}: built-in public values, nothing required. */
    EXEMPT,
    /** {@code sandbox}: every secret and the demo clients' secrets. */
    SANDBOX,
    /** No {@code local}, {@code test} or {@code sandbox} profile. */
    PRODUCTION;

    /** The mode of an environment's active profiles. */
    public static Mode of(ConfigurableEnvironment environment) {
      if (environment.matchesProfiles("local | test")) {
        return EXEMPT;
      }
      return environment.matchesProfiles("sandbox") ? SANDBOX : PRODUCTION;
    }
  }

  /**
   * Every problem of the environment's settings for its profiles.
   *
   * @return the problems in a stable order; empty when the gateway may start
   */
  public static List<Problem> check(ConfigurableEnvironment environment) {
    Mode mode = Mode.of(environment);
    List<Problem> problems = new ArrayList<>();
    if (mode == Mode.EXEMPT) {
      return problems;
    }
    Binder binder = Binder.get(environment);
    checkSigningKeys(environment, problems);
    if (railEnabled(environment, "mpesa")) {
      secret(environment, "malipo.callbacks.mpesa-token", MIN_SECRET_LENGTH,
          "the secret path token of the M-Pesa callback URL, the same on every instance", problems);
    }
    if (railEnabled(environment, "mtn-momo")) {
      secret(environment, "malipo.callbacks.mtn-momo-token", MIN_SECRET_LENGTH,
          "the secret path token of the MTN MoMo callback URL, the same on every instance", problems);
    }
    secret(environment, "malipo.cards.fingerprint-key", MIN_SECRET_LENGTH,
        "the HMAC key of card fingerprints, the same on every instance and never changed", problems);
    checkEncryptionKeys(environment, binder, problems);
    if (environment.getProperty("malipo.webhooks.allow-local-targets", Boolean.class, false)) {
      problems.add(problem("malipo.webhooks.allow-local-targets",
          "must be false outside the local profile (webhooks to loopback and private addresses, ADR 0054)"));
    }
    if (mode == Mode.SANDBOX) {
      secret(environment, "malipo.demo.client-secret", MIN_CLIENT_SECRET_LENGTH,
          "the secret of the sandbox's demo merchant client demo_client", problems);
      secret(environment, "malipo.demo.admin-client-secret", MIN_CLIENT_SECRET_LENGTH,
          "the secret of the sandbox's operator client admin_client", problems);
    } else {
      checkProduction(environment, binder, problems);
    }
    return problems;
  }

  /**
   * The environment variable that sets {@code property}: an explicit placeholder of
   * application.yml, else Spring Boot's relaxed binding (upper case, {@code .} to {@code _},
   * dashes dropped).
   */
  public static String environmentVariable(String property) {
    String explicit = EXPLICIT_VARIABLES.get(property);
    if (explicit != null) {
      return explicit;
    }
    return property.replace("-", "").replace('.', '_').replace("[", "_").replace("]", "").toUpperCase(Locale.ROOT);
  }

  /** Whether {@code value} holds one of the published values or a placeholder word. */
  static boolean isExample(String value) {
    String lower = value.strip().toLowerCase(Locale.ROOT);
    return PUBLISHED.stream().anyMatch(value::contains) || PLACEHOLDER_WORDS.stream().anyMatch(lower::contains);
  }

  private static void checkSigningKeys(ConfigurableEnvironment environment, List<Problem> problems) {
    String inline = text(environment, "malipo.auth.jwk-set");
    String file = text(environment, "malipo.auth.jwk-set-file");
    String property = "malipo.auth.jwk-set-file";
    if (inline == null && file == null) {
      problems.add(new Problem(property + " or malipo.auth.jwk-set",
          environmentVariable(property) + " or " + environmentVariable("malipo.auth.jwk-set"),
          "missing: the JWK set with the ES256 signing keys (docs/adr/0053-key-rotation-and-client-revocation.md)"));
    } else if (inline != null && isExample(inline)) {
      problems.add(problem("malipo.auth.jwk-set", "holds a published example key; generate your own"));
    } else if (file != null && !Files.isReadable(Path.of(file))) {
      problems.add(problem(property, "names " + file + ", which does not exist or cannot be read"));
    }
  }

  private static void checkEncryptionKeys(ConfigurableEnvironment environment, Binder binder,
      List<Problem> problems) {
    String keysProperty = "malipo.webhooks.secret-encryption.keys";
    String activeProperty = "malipo.webhooks.secret-encryption.active-key";
    Map<String, String> keys = binder.bind(keysProperty, Bindable.mapOf(String.class, String.class))
        .orElse(Map.of());
    String active = text(environment, activeProperty);
    if (keys.isEmpty()) {
      problems.add(new Problem(keysProperty + ".<id>", environmentVariable(keysProperty) + "_<ID>",
          "missing: the AES-256 key (base64 of 32 random bytes) that encrypts webhook signing secrets at rest"));
    }
    keys.forEach((id, key) -> {
      String property = keysProperty + "." + id;
      if (key == null || key.isBlank()) {
        problems.add(problem(property, "is empty"));
      } else if (isExample(key)) {
        problems.add(problem(property, "holds a published example key; generate your own (openssl rand -base64 32)"));
      } else if (!decodesTo(key, ENCRYPTION_KEY_BYTES)) {
        problems.add(problem(property, "must be the base64 of exactly " + ENCRYPTION_KEY_BYTES + " bytes"));
      }
    });
    if (active == null && !keys.isEmpty()) {
      problems.add(problem(activeProperty, "missing: the id of the key that encrypts new secrets, one of " + keys.keySet()));
    } else if (active != null && !keys.containsKey(active)) {
      problems.add(problem(activeProperty, "names key " + active + ", which is not among " + keys.keySet()));
    }
  }

  private static void checkProduction(ConfigurableEnvironment environment, Binder binder, List<Problem> problems) {
    if (environment.getProperty("malipo.sandbox.enabled", Boolean.class, false)) {
      problems.add(problem("malipo.sandbox.enabled",
          "must be false in production: the in-process sandbox approves test cards (use the sandbox profile)"));
    }
    Map<String, Acquirer> acquirers = binder.bind("malipo.rails.card.acquirers",
        Bindable.mapOf(String.class, Acquirer.class)).orElse(Map.of());
    String acquirersProperty = "malipo.rails.card.acquirers";
    if (acquirers.isEmpty()) {
      problems.add(new Problem(acquirersProperty + ".<name>.base-url and .api-key",
          environmentVariable(acquirersProperty) + "_<NAME>_BASEURL and _APIKEY",
          "missing: at least one card acquirer; without one the gateway would use the sandbox"));
    }
    acquirers.forEach((name, acquirer) -> {
      String prefix = acquirersProperty + "." + name;
      if (acquirer == null || acquirer.baseUrl() == null || acquirer.baseUrl().isBlank()) {
        problems.add(problem(prefix + ".base-url", "missing: the acquirer's API root (empty means the sandbox)"));
      }
      if (acquirer == null || acquirer.apiKey() == null || acquirer.apiKey().isBlank()) {
        problems.add(problem(prefix + ".api-key", "missing: the acquirer's API key"));
      } else if (isExample(acquirer.apiKey())) {
        problems.add(problem(prefix + ".api-key", "holds the sandbox's published key"));
      }
    });
    Integer replication = environment.getProperty("malipo.kafka.topic-replication-factor", Integer.class);
    if (replication != null && replication < 2) {
      problems.add(problem("malipo.kafka.topic-replication-factor",
          "is " + replication + ": in production the events topic needs at least 2 replicas (default 3)"));
    }
  }

  /** The two settings of a card acquirer this check reads; the rail module binds the rest. */
  record Acquirer(String baseUrl, String apiKey) {}

  private static void secret(ConfigurableEnvironment environment, String property, int minLength, String what,
      List<Problem> problems) {
    String value = text(environment, property);
    if (value == null) {
      problems.add(problem(property, "missing: " + what));
    } else if (isExample(value)) {
      problems.add(problem(property, "holds a published example value; generate your own (openssl rand -hex 32)"));
    } else if (value.length() < minLength) {
      problems.add(problem(property, "is " + value.length() + " characters, needs at least " + minLength));
    }
  }

  private static boolean railEnabled(ConfigurableEnvironment environment, String rail) {
    return environment.getProperty("malipo.rails." + rail + ".enabled", Boolean.class, true);
  }

  private static boolean decodesTo(String base64, int bytes) {
    try {
      return Base64.getDecoder().decode(base64.strip()).length == bytes;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String text(ConfigurableEnvironment environment, String property) {
    String value = environment.getProperty(property);
    return value == null || value.isBlank() ? null : value.strip();
  }

  private static Problem problem(String property, String reason) {
    return new Problem(property, environmentVariable(property), reason);
  }
}
