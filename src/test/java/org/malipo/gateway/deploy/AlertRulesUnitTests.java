package org.malipo.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The alert rules of {@code k8s/base/monitoring/prometheusrule.yaml} (issue 24): every alert has a
 * severity, a summary and a runbook in {@code docs/runbooks/} that exists, every runbook belongs to
 * an alert, and every alert has a promtool unit test; then, where {@code promtool} is installed
 * ({@code .ci/run} installs it), {@code deploy/check-alert-rules.sh} checks and tests the rules.
 */
class AlertRulesUnitTests {

  private static final Path RULES = Path.of("k8s/base/monitoring/prometheusrule.yaml");
  private static final Path RULE_TESTS = Path.of("k8s/base/monitoring/tests");
  private static final Path RUNBOOKS = Path.of("docs/runbooks");
  private static final String RUNBOOK_PREFIX = "https://github.com/malipo/malipo-gateway/blob/main/docs/runbooks/";

  @Test
  void everyAlertHasSeverityRunbookAndUnitTest() throws IOException {
    List<Map<String, Object>> alerts = alerts();
    assertThat(alerts).extracting(alert -> alert.get("alert")).contains(
        "PaymentSuccessBudgetBurnFast", "PaymentSuccessBudgetBurnSlow", "PaymentLatencyBudgetBurnFast",
        "PaymentLatencyBudgetBurnSlow", "OutboxLagHigh", "NonFinalPaymentTooOld", "LedgerImbalanced",
        "WebhooksDeadLettered", "RailCircuitOpen");
    String unitTests;
    try (Stream<Path> files = Files.list(RULE_TESTS)) {
      unitTests = files.map(AlertRulesUnitTests::read).collect(Collectors.joining("\n"));
    }
    for (Map<String, Object> alert : alerts) {
      String name = (String) alert.get("alert");
      @SuppressWarnings("unchecked")
      Map<String, Object> labels = (Map<String, Object>) alert.get("labels");
      @SuppressWarnings("unchecked")
      Map<String, Object> annotations = (Map<String, Object>) alert.get("annotations");
      assertThat(labels.get("severity")).as(name).isIn("page", "ticket");
      assertThat(annotations).as(name).containsKeys("summary", "description", "runbook_url");
      String runbook = (String) annotations.get("runbook_url");
      assertThat(runbook).as(name).startsWith(RUNBOOK_PREFIX);
      Path page = RUNBOOKS.resolve(runbook.substring(RUNBOOK_PREFIX.length()));
      assertThat(page).as("%s's runbook", name).isRegularFile();
      assertThat(read(page)).as("%s's runbook names its alert", name).contains("# " + name);
      assertThat(unitTests).as("a promtool unit test of %s", name).contains("alertname: " + name);
    }
  }

  @Test
  void everyRunbookBelongsToAnAlert() throws IOException {
    Set<String> linked = alerts().stream()
        .map(alert -> (String) ((Map<?, ?>) alert.get("annotations")).get("runbook_url"))
        .map(url -> url.substring(RUNBOOK_PREFIX.length())).collect(Collectors.toSet());
    try (Stream<Path> pages = Files.list(RUNBOOKS)) {
      assertThat(pages.map(page -> page.getFileName().toString()).filter(name -> !name.equals("README.md")))
          .allSatisfy(name -> assertThat(linked).as("alerts linking %s", name).contains(name));
    }
  }

  @Test
  void promtoolChecksAndTestsTheRules() throws Exception {
    Assumptions.assumeTrue(onPath("promtool"), "promtool not installed (.ci/run installs Debian's prometheus)");
    Process check = new ProcessBuilder("deploy/check-alert-rules.sh").redirectErrorStream(true).start();
    String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor(120, TimeUnit.SECONDS)).as("promtool finished").isTrue();
    assertThat(check.exitValue()).as(output).isZero();
    assertThat(output).contains("SUCCESS: 25 rules found").doesNotContain("FAILED");
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> alerts() {
    Map<String, Object> rule = new Yaml(new SafeConstructor(new LoaderOptions())).load(read(RULES));
    assertThat(rule).containsEntry("kind", "PrometheusRule");
    List<Map<String, Object>> alerts = new ArrayList<>();
    for (Object group : (List<Object>) ((Map<String, Object>) rule.get("spec")).get("groups")) {
      for (Object r : (List<Object>) ((Map<String, Object>) group).get("rules")) {
        if (((Map<String, Object>) r).containsKey("alert")) {
          alerts.add((Map<String, Object>) r);
        }
      }
    }
    return alerts;
  }

  private static boolean onPath(String command) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
  }

  private static String read(Path path) {
    try {
      return Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
