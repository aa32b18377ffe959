package org.malipo.gateway.config;

import java.util.Arrays;
import java.util.List;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Runs {@link RequiredSettings#check} before the context refreshes, so a deployment without its
 * secrets stops within a second or two, before any connection to PostgreSQL, Redis or Kafka, with
 * one message that names every missing setting ({@link MissingSettingsFailureAnalyzer}).
 * Registered in {@code META-INF/spring.factories}.
 */
public final class RequiredSettingsInitializer
    implements ApplicationContextInitializer<ConfigurableApplicationContext>, Ordered {

  /**
   * Checks the context's environment.
   *
   * @throws MissingSettingsException naming every problem, when there is one
   */
  @Override
  public void initialize(ConfigurableApplicationContext context) {
    ConfigurableEnvironment environment = context.getEnvironment();
    List<RequiredSettings.Problem> problems = RequiredSettings.check(environment);
    if (!problems.isEmpty()) {
      throw new MissingSettingsException(problems, describeProfiles(environment));
    }
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }

  static String describeProfiles(ConfigurableEnvironment environment) {
    String[] active = environment.getActiveProfiles();
    String mode = RequiredSettings.Mode.of(environment) == RequiredSettings.Mode.SANDBOX ? "the sandbox profile"
        : "production";
    return active.length == 0 ? mode + " (no profile active)" : mode + " (profiles " + Arrays.toString(active) + ")";
  }
}
