package org.malipo.gateway.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of {@code web/e2e/*.mjs} (playwright-core driving Debian's headless Chromium) against a
 * running gateway and fails the calling test with the script's output unless it exits 0. The
 * script finds the gateway at {@code MALIPO_BASE_URL}; {@code extraEnvironment} passes it whatever
 * else it needs (a publishable key, a payment id). Its output is also kept in
 * {@code target/browser/<script>.log}.
 *
 * <p>Runs on the JUnit thread, never on a reactor thread: waiting for the process is blocking.
 */
public final class BrowserScript {

  private static final Path E2E = Path.of("web", "e2e");
  private static final Path LOGS = Path.of("target", "browser");

  private BrowserScript() {
  }

  /**
   * Runs {@code web/e2e/<script>} with {@code node} and asserts it passed.
   *
   * @param script file name under web/e2e, such as {@code self-check.mjs}
   * @param baseUrl the gateway's address, such as {@code http://127.0.0.1:53121}
   * @param extraEnvironment more variables for the script (may be empty)
   * @param timeout how long the script may run before it is killed and the test fails
   * @return the script's combined standard output and error
   */
  public static String run(String script, String baseUrl, Map<String, String> extraEnvironment, Duration timeout) {
    Path file = E2E.resolve(script);
    assertThat(file).as("browser test script").exists();
    try {
      Files.createDirectories(LOGS);
      Path log = LOGS.resolve(script + ".log");
      ProcessBuilder builder = new ProcessBuilder("node", file.toString())
          .redirectErrorStream(true)
          .redirectOutput(log.toFile());
      builder.environment().put("MALIPO_BASE_URL", baseUrl);
      builder.environment().putAll(extraEnvironment);
      Process process = builder.start();
      boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!finished) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(finished).as("%s finished within %s; output:%n%s", script, timeout, output).isTrue();
      assertThat(process.exitValue()).as("%s exit code; output:%n%s", script, output).isZero();
      return output;
    } catch (IOException e) {
      throw new AssertionError("could not run node " + file + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while " + script + " ran", e);
    }
  }
}
