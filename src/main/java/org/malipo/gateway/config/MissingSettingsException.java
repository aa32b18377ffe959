package org.malipo.gateway.config;

import java.util.List;
import org.springframework.boot.ExitCodeGenerator;

/**
 * Start-up refused: settings a deployment must give are missing or hold example values. The
 * process exits with {@value #EXIT_CODE} ({@code EX_CONFIG} of sysexits.h).
 */
public final class MissingSettingsException extends RuntimeException implements ExitCodeGenerator {

  /** The exit status of a refused start-up: a configuration error. */
  public static final int EXIT_CODE = 78;

  private final transient List<RequiredSettings.Problem> problems;
  private final String profiles;

  /**
   * @param problems at least one
   * @param profiles how the active profiles read in the message, e.g. {@code production (no profile)}
   */
  MissingSettingsException(List<RequiredSettings.Problem> problems, String profiles) {
    super(problems.size() + " required setting(s) missing or invalid for " + profiles + ": "
        + String.join("; ", problems.stream().map(RequiredSettings.Problem::property).toList()));
    this.problems = List.copyOf(problems);
    this.profiles = profiles;
  }

  /** Every problem found, in check order. */
  public List<RequiredSettings.Problem> problems() {
    return problems;
  }

  /** The active profiles as the message names them. */
  String profiles() {
    return profiles;
  }

  @Override
  public int getExitCode() {
    return EXIT_CODE;
  }
}
