package org.malipo.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Renders each overlay of {@code k8s/} with {@code kubectl kustomize} and asserts the properties
 * an SRE review demands, so a careless edit (a removed probe, limit or security setting) fails the
 * build. Needs {@code kubectl} on the PATH ({@code .ci/run} installs it if missing).
 */
class KubernetesManifestUnitTests {

  private static final String READINESS = "/actuator/health/readiness";
  private static final String LIVENESS = "/actuator/health/liveness";

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
      if (String.valueOf(env.get("name")).matches(".*(PASSWORD|SECRET|KEY).*")) {
        assertThat(env).as("secret-looking variable %s", env.get("name")).doesNotContainKey("value").containsKey("valueFrom");
      }
    }
    Map<String, Object> config = one(objects, "ConfigMap");
    assertThat(map(config, "data").keySet()).noneMatch(k -> k.matches(".*(PASSWORD|SECRET).*"));
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
