package org.malipo.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every metric that an alert rule, a dashboard panel or an operator's document names exists on
 * {@code /actuator/prometheus} after a few payments (issue 24): a renamed meter fails here, not
 * silently on a dashboard. Also checks the tags an SRE slices by.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ObservabilityMetricsIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  /** Metric names as Prometheus spells them; recording rules ({@code malipo:…}) are not meters. */
  private static final Pattern METRIC = Pattern.compile(
      "(?<![A-Za-z0-9_:.])((?:malipo|resilience4j|http_server_requests|jvm|process|r2dbc)_[a-z0-9_]+)");

  /** Recording rules' series, defined in the PrometheusRule. */
  private static final Pattern RECORDED = Pattern.compile("malipo:[a-z0-9_:]+");
  private static final Path RULES = Path.of("k8s/base/monitoring/prometheusrule.yaml");
  private static final Path DASHBOARDS = Path.of("k8s/base/monitoring/dashboards");

  @Autowired DatabaseClient db;
  @Autowired JsonMapper json;
  @Autowired ApiClients clients;
  @Autowired ApplicationContext context;
  @Autowired OperationsGauges gauges;
  @Autowired LedgerImbalanceGauge ledgerImbalance;
  @Autowired MeterRegistry meters;

  private String scrape;

  @BeforeAll
  void paymentsThenScrape() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    pay(merchant, "4242424242424242", 201);       // succeeded
    pay(merchant, "4000000000000002", 201);       // declined
    pay(merchant, "4000000000000119", 201);       // both acquirers fail: provider_unavailable
    gauges.refresh().block(DB);
    ledgerImbalance.check().block(DB);
    scrape = plainClient().get().uri("/actuator/prometheus").exchange()
        .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
  }

  private void pay(TestMerchant merchant, String card, int status) {
    web.post().uri("/v1/payments")
        .headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 1000, "currency": "KES", "reference": "metrics-%d",
             "payment_method": {"type": "card", "number": "%s", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"""
            .formatted(card.hashCode() & 0xffff, card))
        .exchange()
        .expectStatus().isEqualTo(status);
  }

  @Test
  void everyMetricNamedByRulesDashboardsAndDocsIsScraped() {
    Set<String> scraped = scrape.lines().filter(line -> !line.startsWith("#") && !line.isBlank())
        .map(line -> line.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
    TreeMap<String, Set<String>> named = namedMetrics();
    assertThat(named).as("metric names found in rules, dashboards and docs")
        .containsKeys("malipo_payments_outcomes_total", "malipo_outbox_lag_milliseconds",
            "malipo_non_final_oldest_age_seconds", "malipo_ledger_imbalance_minor", "malipo_webhooks_dead",
            "resilience4j_circuitbreaker_state");
    // A histogram or summary is named by its base name too (…_seconds for …_seconds_bucket, _count, _sum).
    TreeMap<String, Set<String>> missing = new TreeMap<>(named);
    missing.keySet().removeIf(metric -> scraped.contains(metric) || scraped.contains(metric + "_count"));
    assertThat(missing).as("metrics named in these files but not on /actuator/prometheus").isEmpty();
  }

  @Test
  void everyDashboardPanelQueriesAnExistingMetricOrRecordedSeries() throws IOException {
    Set<String> scraped = scrape.lines().filter(line -> !line.startsWith("#") && !line.isBlank())
        .map(line -> line.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
    Set<String> recorded = Pattern.compile("record: (\\S+)").matcher(read(RULES)).results()
        .map(match -> match.group(1)).collect(Collectors.toSet());
    List<Path> dashboards;
    try (Stream<Path> files = Files.list(DASHBOARDS)) {
      dashboards = files.filter(path -> path.toString().endsWith(".json")).sorted().toList();
    }
    assertThat(dashboards).extracting(path -> path.getFileName().toString()).containsExactly(
        "malipo-ledger.json", "malipo-overview.json", "malipo-rails.json", "malipo-webhooks.json");
    for (Path dashboard : dashboards) {
      JsonNode panels = json.readTree(read(dashboard)).get("panels");
      assertThat(panels.size()).as("panels of %s", dashboard).isGreaterThanOrEqualTo(4);
      for (JsonNode panel : panels) {
        String title = dashboard.getFileName() + " / " + panel.get("title").asString();
        assertThat(panel.get("targets").size()).as(title).isPositive();
        for (JsonNode target : panel.get("targets")) {
          String expr = target.get("expr").asString();
          List<String> metrics = METRIC.matcher(expr).results().map(match -> match.group(1)).toList();
          List<String> records = RECORDED.matcher(expr).results().map(match -> match.group()).toList();
          assertThat(metrics.size() + records.size()).as("%s queries a metric: %s", title, expr).isPositive();
          assertThat(metrics).as("%s: %s", title, expr).allSatisfy(metric -> assertThat(scraped).contains(metric));
          assertThat(records).as("%s: %s", title, expr).allSatisfy(name -> assertThat(recorded).contains(name));
        }
      }
    }
  }

  @Test
  void paymentsAreCountedByRailMethodCurrencyAndOutcome() {
    assertThat(scrape).containsPattern("malipo_payments_outcomes_total\\{[^}]*currency=\"KES\"[^}]*method=\"card\""
        + "[^}]*outcome=\"succeeded\"[^}]*rail=\"acquirer_a\"[^}]*} [1-9]");
    assertThat(scrape).containsPattern("malipo_payments_outcomes_total\\{[^}]*outcome=\"declined\"[^}]*} [1-9]");
    assertThat(scrape).containsPattern("malipo_payments_outcomes_total\\{[^}]*outcome=\"unavailable\"[^}]*} [1-9]");
    // The latency SLO's threshold is an exact bucket.
    assertThat(scrape).containsPattern(
        "malipo_payments_decision_seconds_bucket\\{(?=[^}]*le=\"2.0\")(?=[^}]*rail=\"acquirer_a\")[^}]*} [1-9]");
  }

  @Test
  void databaseGaugesHaveEveryKindAndTheLedgerBalances() {
    for (String kind : OperationsGauges.KINDS) {
      assertThat(scrape).containsPattern("malipo_non_final_oldest_age_seconds\\{[^}]*kind=\"" + kind + "\"");
      assertThat(scrape).containsPattern("malipo_non_final\\{[^}]*kind=\"" + kind + "\"");
    }
    for (String kind : OperationsGauges.EXCEPTION_KINDS) {
      assertThat(scrape).containsPattern("malipo_exceptions_open\\{[^}]*kind=\"" + kind + "\"");
    }
    // A capture posted KES: the sum over every posting is there, and zero.
    assertThat(scrape).containsPattern("malipo_ledger_imbalance_minor\\{[^}]*currency=\"KES\"[^}]*} 0(\\.0)?\\n");
    assertThat(scrape).containsPattern("resilience4j_circuitbreaker_state\\{[^}]*name=\"acquirer_a\"[^}]*state=\"closed\"[^}]*} 1");
  }

  @Test
  void theImbalanceGaugeSeesAOneSidedPosting() {
    // Postings are append-only and every entry is balanced at commit, so a one-sided posting can
    // only be written around those triggers (replica mode skips them, as a faulty restore would).
    // In XTS, the ISO 4217 code for tests, so no other test's sums move; removed afterwards.
    String sql = """
        DO $$ BEGIN
            SET LOCAL session_replication_role = replica;
            %s
        END $$""";
    db.sql(sql.formatted("INSERT INTO postings (entry_id, account_id, direction, amount_minor, currency) "
        + "VALUES ('jrn_imbalance_test', 'acc_imbalance_test', 'D', 250, 'XTS');")).then().block(DB);
    try {
      ledgerImbalance.check().block(DB);
      assertThat(meters.get("malipo.ledger.imbalance").tag("currency", "XTS").gauge().value()).isEqualTo(250.0);
    } finally {
      db.sql(sql.formatted("DELETE FROM postings WHERE entry_id = 'jrn_imbalance_test';")).then().block(DB);
    }
    ledgerImbalance.check().block(DB);
    assertThat(meters.get("malipo.ledger.imbalance").tag("currency", "XTS").gauge().value()).isZero();
  }

  /** Metric names in the alert rules, the dashboards, the runbooks and docs/observability.md. */
  private static TreeMap<String, Set<String>> namedMetrics() {
    TreeMap<String, Set<String>> named = new TreeMap<>();
    try (Stream<Path> k8s = Files.walk(Path.of("k8s/base/monitoring"));
        Stream<Path> runbooks = Files.walk(Path.of("docs/runbooks"))) {
      Stream.concat(Stream.concat(k8s, runbooks), Stream.of(Path.of("docs/observability.md")))
          .filter(Files::isRegularFile)
          .filter(path -> path.toString().matches(".*\\.(ya?ml|json|md)$"))
          .forEach(path -> {
            Matcher matcher = METRIC.matcher(read(path));
            while (matcher.find()) {
              named.computeIfAbsent(matcher.group(1), name -> new TreeSet<>()).add(path.toString());
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return named;
  }

  private static String read(Path path) {
    try {
      return Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private WebTestClient plainClient() {
    String port = context.getEnvironment().getProperty("local.server.port");
    return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port)
        .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(16 * 1024 * 1024)).build();
  }
}
