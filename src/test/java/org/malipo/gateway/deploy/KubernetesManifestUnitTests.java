package org.malipo.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.malipo.gateway.config.RequiredSettings;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Renders each overlay of {@code k8s/} with {@code kubectl kustomize} and asserts the properties
 * an SRE review demands, so a careless edit (a removed probe, limit or security setting) fails the
 * build, and that the rendered pods would start: the profile, every setting start-up requires
 * ({@link RequiredSettings}, fed the rendered variables), JVM options, Kafka security and the
 * topic's replication. Needs {@code kubectl} on the PATH ({@code .ci/run} installs it if missing).
 */
class KubernetesManifestUnitTests {

  private static final String READINESS = "/actuator/health/readiness";
  private static final String LIVENESS = "/actuator/health/liveness";
  private static final String SECRET_LOOKING = ".*(PASSWORD|SECRET|KEY|TOKEN|JAAS|APIUSER).*";

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"staging", "production"})
  void deploymentKeepsServingThroughRolloutsAndDrains(String overlay) {
    Map<String, Object> deployment = one(render(overlay), "Deployment");
    Map<String, Object> spec = map(deployment, "spec");
    assertThat(((Number) spec.get("replicas")).intValue()).isGreaterThanOrEqualTo(3);
    assertThat(map(map(spec, "strategy"), "rollingUpdate").get("maxUnavailable")).isEqualTo(0);
    Map<String, Object> pod = map(map(spec, "template"), "spec");
    Map<String, Object> container = gateway(pod);

    assertThat(path(map(container, "readinessProbe"))).isEqualTo(READINESS);
    assertThat(path(map(container, "livenessProbe"))).isEqualTo(LIVENESS);
    assertThat(path(map(container, "startupProbe"))).isEqualTo(LIVENESS);
    assertThat(map(map(container, "lifecycle"), "preStop")).as("preStop hook").isNotEmpty();
    assertThat(((Number) pod.get("terminationGracePeriodSeconds")).intValue())
        .as("grace period covers preStop 10 s + Spring's 20 s shutdown phase").isGreaterThan(30);

    Map<String, Object> resources = map(container, "resources");
    for (String kind : List.of("requests", "limits")) {
      assertThat(map(resources, kind)).as(kind).containsKeys("cpu", "memory");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"staging", "production"})
  void podRunsNonRootReadOnlyWithoutCapabilities(String overlay) {
    Map<String, Object> pod = map(map(map(one(render(overlay), "Deployment"), "spec"), "template"), "spec");
    assertThat(map(pod, "securityContext")).containsEntry("runAsNonRoot", true);
    assertThat(map(map(pod, "securityContext"), "seccompProfile")).containsEntry("type", "RuntimeDefault");
    Map<String, Object> container = gateway(pod);
    Map<String, Object> security = map(container, "securityContext");
    assertThat(security).containsEntry("readOnlyRootFilesystem", true).containsEntry("allowPrivilegeEscalation", false)
        .containsEntry("runAsNonRoot", true);
    assertThat(list(map(security, "capabilities"), "drop")).containsExactly("ALL");
    assertThat(list(container, "volumeMounts")).anySatisfy(m -> assertThat(asMap(m)).containsEntry("mountPath", "/tmp"));
    assertThat(list(pod, "volumes")).anySatisfy(v -> assertThat(asMap(v)).containsKey("emptyDir"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"staging", "production"})
  void secretsAreReferencedByNameAndNeverRendered(String overlay) {
    List<Map<String, Object>> objects = render(overlay);
    assertThat(objects).noneSatisfy(o -> assertThat(o.get("kind")).isEqualTo("Secret"));
    Map<String, Object> container = gateway(map(map(map(one(objects, "Deployment"), "spec"), "template"), "spec"));
    for (Object item : list(container, "env")) {
      Map<String, Object> env = asMap(item);
      if (String.valueOf(env.get("name")).matches(SECRET_LOOKING)) {
        assertThat(env).as("secret-looking variable %s", env.get("name")).doesNotContainKey("value").containsKey("valueFrom");
      }
    }
    Map<String, Object> config = gatewayConfig(objects);
    assertThat(map(config, "data").keySet()).noneMatch(k -> k.matches(SECRET_LOOKING));
  }

  @Test
  void stagingRunsTheSandboxProfileAndProductionTheDefault() {
    assertThat(configData(render("staging"))).containsEntry("SPRING_PROFILES_ACTIVE", "sandbox");
    Map<String, Object> production = configData(render("production"));
    assertThat(String.valueOf(production.getOrDefault("SPRING_PROFILES_ACTIVE", "")))
        .as("production runs no local, sandbox or test profile").doesNotContain("local", "sandbox", "test");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"staging", "production"})
  void everySettingTheProfileRequiresIsGivenBySecretReferenceOrConfig(String overlay) throws IOException {
    List<Map<String, Object>> objects = render(overlay);
    Map<String, Object> pod = map(map(map(one(objects, "Deployment"), "spec"), "template"), "spec");
    Map<String, Object> variables = new HashMap<>(configData(objects));
    for (Object item : list(gateway(pod), "env")) {
      Map<String, Object> env = asMap(item);
      String name = (String) env.get("name");
      variables.put(name, env.containsKey("value") ? env.get("value") : standInForSecret(name));
    }
    String keys = (String) variables.get("MALIPO_AUTH_JWKSETFILE");
    assertThat(mountedFromSecret(pod, keys)).as("the JWK set file %s comes from a mounted Secret", keys).isTrue();
    variables.put("MALIPO_AUTH_JWKSETFILE", Files.writeString(Files.createTempFile("jwks", ".json"), "{}").toString());

    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().addFirst(new SystemEnvironmentPropertySource(
        "rendered-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables));
    Object profiles = variables.get("SPRING_PROFILES_ACTIVE");
    environment.setActiveProfiles(profiles == null ? new String[0] : String.valueOf(profiles).split(","));
    // The packaged configuration below the variables, as Spring Boot orders them: profile files first.
    YamlPropertySourceLoader yaml = new YamlPropertySourceLoader();
    for (String profile : environment.getActiveProfiles()) {
      ClassPathResource file = new ClassPathResource("application-" + profile + ".yml");
      if (file.exists()) {
        yaml.load(profile, file).forEach(environment.getPropertySources()::addLast);
      }
    }
    yaml.load("application", new ClassPathResource("application.yml")).forEach(environment.getPropertySources()::addLast);
    ConfigurationPropertySources.attach(environment);

    assertThat(RequiredSettings.check(environment)).extracting(RequiredSettings.Problem::line).isEmpty();
  }

  @Test
  void productionTakesItsAcquirersAndRailCredentialsFromTheSecret() {
    Map<String, Object> container = gateway(map(map(map(one(render("production"), "Deployment"), "spec"),
        "template"), "spec"));
    List<String> fromSecret = new ArrayList<>();
    for (Object item : list(container, "env")) {
      Map<String, Object> env = asMap(item);
      if (env.containsKey("valueFrom") && map(env, "valueFrom").containsKey("secretKeyRef")) {
        assertThat(map(map(env, "valueFrom"), "secretKeyRef")).containsEntry("name", "malipo-gateway-secrets");
        fromSecret.add((String) env.get("name"));
      }
    }
    assertThat(fromSecret).filteredOn(name -> name.startsWith("MALIPO_RAILS_CARD_ACQUIRERS_"))
        .contains("MALIPO_RAILS_CARD_ACQUIRERS_PRIMARY_BASEURL", "MALIPO_RAILS_CARD_ACQUIRERS_PRIMARY_APIKEY")
        .hasSizeGreaterThanOrEqualTo(2);
    assertThat(fromSecret).contains("MALIPO_CALLBACKS_MPESATOKEN", "MALIPO_CALLBACKS_MTNMOMOTOKEN",
        "MALIPO_CARD_FINGERPRINT_KEY", "MALIPO_WEBHOOKS_SECRETENCRYPTION_KEYS_K1", "MALIPO_DB_PASSWORD",
        "MALIPO_KAFKA_PROPERTIES_SASL_JAAS_CONFIG", "MALIPO_RAILS_MPESA_CONSUMERSECRET", "MALIPO_RAILS_MTNMOMO_APIKEY",
        "MALIPO_RAILS_AIRTEL_CLIENTSECRET", "MALIPO_CALLBACKS_AIRTELTOKEN", "MALIPO_RAILS_ORANGE_PIN",
        "MALIPO_CALLBACKS_ORANGETOKEN", "MALIPO_RAILS_PAYSTACK_SECRETKEY", "MALIPO_RAILS_FLUTTERWAVE_SECRETHASH");
    // A rail whose API root production sets must get every credential from the Secret: RegionalRails
    // refuses to start a real rail with the sandbox's published credentials.
    assertThat(configData(render("production"))).containsKeys("MALIPO_RAILS_AIRTEL_BASEURL",
        "MALIPO_RAILS_ORANGE_BASEURL", "MALIPO_RAILS_PAYSTACK_BASEURL", "MALIPO_RAILS_FLUTTERWAVE_BASEURL");
    assertThat(configData(render("production"))).doesNotContainKey("MALIPO_SANDBOX_ENABLED");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"staging", "production"})
  void jvmOptionsAreAddedToTheImagesNotReplacingThem(String overlay) {
    List<Map<String, Object>> objects = render(overlay);
    Map<String, Object> container = gateway(map(map(map(one(objects, "Deployment"), "spec"), "template"), "spec"));
    assertThat(configData(objects)).as("JAVA_TOOL_OPTIONS would replace the image's heap sizing")
        .doesNotContainKey("JAVA_TOOL_OPTIONS");
    assertThat(list(container, "env")).noneSatisfy(env -> assertThat(asMap(env)).containsEntry("name", "JAVA_TOOL_OPTIONS"));
    assertThat(container).doesNotContainKeys("command", "args");
    assertThat(String.valueOf(configData(objects).get("JDK_JAVA_OPTIONS")))
        .as("added options leave the heap to the image's MaxRAMPercentage")
        .contains("-XX:+UseParallelGC").doesNotContain("MaxRAMPercentage", "-Xmx");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"staging", "production"})
  void kafkaSecurityIsPassedThroughWithCredentialsFromTheSecret(String overlay) {
    List<Map<String, Object>> objects = render(overlay);
    Map<String, Object> config = configData(objects);
    assertThat(config).containsEntry("MALIPO_KAFKA_PROPERTIES_SECURITY_PROTOCOL", "SASL_SSL")
        .containsKey("MALIPO_KAFKA_PROPERTIES_SASL_MECHANISM");
    Map<String, Object> pod = map(map(map(one(objects, "Deployment"), "spec"), "template"), "spec");
    assertThat(list(gateway(pod), "env")).anySatisfy(env -> assertThat(asMap(env))
        .containsEntry("name", "MALIPO_KAFKA_PROPERTIES_SASL_JAAS_CONFIG").containsKey("valueFrom"));
    String truststore = (String) config.get("MALIPO_KAFKA_PROPERTIES_SSL_TRUSTSTORE_LOCATION");
    assertThat(mountedFromSecret(pod, truststore)).as("the truststore %s is mounted", truststore).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"staging", "production"})
  void theEventsTopicIsReplicatedNeverCreatedWithOneReplica(String overlay) {
    Map<String, Object> config = configData(render(overlay));
    assertThat(Integer.parseInt((String) config.get("MALIPO_KAFKA_TOPICREPLICATIONFACTOR"))).isGreaterThanOrEqualTo(3);
    assertThat(Integer.parseInt((String) config.get("MALIPO_KAFKA_TOPICMININSYNCREPLICAS"))).isGreaterThanOrEqualTo(2);
    assertThat(Integer.parseInt((String) config.get("MALIPO_KAFKA_TOPICPARTITIONS"))).isGreaterThanOrEqualTo(6);
  }

  /** A value of the right shape for a variable whose value the cluster's Secret holds. */
  private static String standInForSecret(String name) {
    if (name.matches("MALIPO_WEBHOOKS_SECRETENCRYPTION_KEYS_.*")) {
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      return Base64.getEncoder().encodeToString(key);
    }
    if (name.equals("MALIPO_WEBHOOKS_SECRETENCRYPTION_ACTIVEKEY")) {
      return "k1";
    }
    if (name.endsWith("_BASEURL")) {
      return "https://rail.test/api";
    }
    byte[] secret = new byte[24];
    new SecureRandom().nextBytes(secret);
    return HexFormat.of().formatHex(secret);
  }

  private static boolean mountedFromSecret(Map<String, Object> pod, String file) {
    if (file == null) {
      return false;
    }
    List<String> secretVolumes = list(pod, "volumes").stream().map(KubernetesManifestUnitTests::asMap)
        .filter(volume -> volume.containsKey("secret")).map(volume -> (String) volume.get("name")).toList();
    return list(gateway(pod), "volumeMounts").stream().map(KubernetesManifestUnitTests::asMap)
        .anyMatch(mount -> secretVolumes.contains(mount.get("name")) && file.startsWith(mount.get("mountPath") + "/"));
  }

  private static Map<String, Object> configData(List<Map<String, Object>> objects) {
    return map(gatewayConfig(objects), "data");
  }

  /** The gateway's settings, not the dashboards' ConfigMap. */
  private static Map<String, Object> gatewayConfig(List<Map<String, Object>> objects) {
    List<Map<String, Object>> found = objects.stream().filter(o -> "ConfigMap".equals(o.get("kind")))
        .filter(o -> String.valueOf(map(o, "metadata").get("name")).startsWith("malipo-gateway-config")).toList();
    assertThat(found).as("the gateway's ConfigMap").hasSize(1);
    return found.getFirst();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"staging", "production"})
  void serviceAutoscalerBudgetAndNetworkPolicyComeAlong(String overlay) {
    List<Map<String, Object>> objects = render(overlay);
    one(objects, "Service");
    assertThat(((Number) map(one(objects, "HorizontalPodAutoscaler"), "spec").get("minReplicas")).intValue())
        .isGreaterThanOrEqualTo(3);
    one(objects, "PodDisruptionBudget");
    Map<String, Object> policy = map(one(objects, "NetworkPolicy"), "spec");
    assertThat(list(policy, "policyTypes")).containsExactlyInAnyOrder("Ingress", "Egress");
    List<Integer> egressPorts = new ArrayList<>();
    for (Object rule : list(policy, "egress")) {
      for (Object port : list(asMap(rule), "ports")) {
        egressPorts.add(((Number) asMap(port).get("port")).intValue());
      }
    }
    assertThat(egressPorts).containsExactlyInAnyOrder(53, 53, 5432, 6379, 9092, 443);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"staging", "production"})
  void prometheusScrapesTheServiceAndLoadsTheAlertRules(String overlay) {
    List<Map<String, Object>> objects = render(overlay);
    Map<String, Object> monitor = map(one(objects, "ServiceMonitor"), "spec");
    Map<String, Object> endpoint = asMap(list(monitor, "endpoints").getFirst());
    assertThat(endpoint).containsEntry("port", "http").containsEntry("path", "/actuator/prometheus");
    assertThat(asMap(map(monitor, "selector").get("matchLabels"))).containsEntry("app.kubernetes.io/name", "malipo-gateway");
    assertThat(list(map(one(objects, "PrometheusRule"), "spec"), "groups")).isNotEmpty();
    Map<String, Object> dashboards = objects.stream().filter(o -> "ConfigMap".equals(o.get("kind")))
        .filter(o -> "malipo-gateway-dashboards".equals(map(o, "metadata").get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no ConfigMap malipo-gateway-dashboards"));
    assertThat(asMap(map(dashboards, "metadata").get("labels"))).containsEntry("grafana_dashboard", "1");
    assertThat(map(dashboards, "data").keySet()).containsExactlyInAnyOrder(
        "malipo-overview.json", "malipo-rails.json", "malipo-ledger.json", "malipo-webhooks.json");
  }

  @Test
  void productionSpreadsAcrossZonesRunsMoreReplicasAndTerminatesTls() {
    List<Map<String, Object>> production = render("production");
    Map<String, Object> spec = map(one(production, "Deployment"), "spec");
    int stagingReplicas = ((Number) map(one(render("staging"), "Deployment"), "spec").get("replicas")).intValue();
    assertThat(((Number) spec.get("replicas")).intValue()).isGreaterThan(stagingReplicas);
    assertThat(list(map(map(spec, "template"), "spec"), "topologySpreadConstraints"))
        .anySatisfy(c -> assertThat(asMap(c)).containsEntry("topologyKey", "topology.kubernetes.io/zone")
            .containsEntry("whenUnsatisfiable", "DoNotSchedule"));
    assertThat(list(map(one(production, "Ingress"), "spec"), "tls")).isNotEmpty();
  }

  // --- rendering and navigation ---

  private static List<Map<String, Object>> render(String overlay) {
    try {
      Process kubectl = new ProcessBuilder("kubectl", "kustomize", "k8s/overlays/" + overlay)
          .redirectErrorStream(true).start();
      String output = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(kubectl.waitFor(60, TimeUnit.SECONDS)).as("kubectl finished").isTrue();
      assertThat(kubectl.exitValue()).as("kubectl kustomize k8s/overlays/%s:%n%s", overlay, output).isZero();
      List<Map<String, Object>> objects = new ArrayList<>();
      for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(output)) {
        if (document != null) {
          objects.add(asMap(document));
        }
      }
      return objects;
    } catch (IOException e) {
      throw new AssertionError("kubectl is needed to render k8s/ (apt-get install kubernetes-client)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static Map<String, Object> one(List<Map<String, Object>> objects, String kind) {
    List<Map<String, Object>> found = objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    assertThat(found).as("%s objects", kind).hasSize(1);
    return found.getFirst();
  }

  private static Map<String, Object> gateway(Map<String, Object> podSpec) {
    return list(podSpec, "containers").stream().map(KubernetesManifestUnitTests::asMap)
        .filter(c -> "gateway".equals(c.get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no container named gateway"));
  }

  private static String path(Map<String, Object> probe) {
    return (String) map(probe, "httpGet").get("path");
  }

  private static Map<String, Object> map(Map<String, Object> parent, String key) {
    Object value = parent.get(key);
    assertThat(value).as("%s", key).isInstanceOf(Map.class);
    return asMap(value);
  }

  private static List<Object> list(Map<String, Object> parent, String key) {
    Object value = parent.get(key);
    assertThat(value).as("%s", key).isInstanceOf(List.class);
    @SuppressWarnings("unchecked")
    List<Object> items = (List<Object>) value;
    return items;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object value) {
    return (Map<String, Object>) value;
  }
}
