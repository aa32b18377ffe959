package org.malipo.gateway.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns {@link MissingSettingsException} into Spring Boot's "APPLICATION FAILED TO START" report:
 * one message that lists every setting with its environment variable and what it must hold.
 * Registered in {@code META-INF/spring.factories}.
 */
public final class MissingSettingsFailureAnalyzer extends AbstractFailureAnalyzer<MissingSettingsException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, MissingSettingsException cause) {
    StringBuilder description = new StringBuilder("Malipo refuses to start in ").append(cause.profiles())
        .append(": ").append(cause.problems().size()).append(" setting(s) missing or invalid. No secret has a ")
        .append("built-in value outside the local profile and the tests.");
    cause.problems().forEach(problem -> description.append(System.lineSeparator()).append("  - ").append(problem.line()));
    String action = "Set each setting above, e.g. as the environment variable named in brackets (Kubernetes: "
        + "from the Secret malipo-gateway-secrets); docs/configuration.md says what each holds and how to "
        + "generate it. On a developer machine use the local profile instead: ./mvnw spring-boot:test-run.";
    return new FailureAnalysis(description.toString(), action, cause);
  }
}
