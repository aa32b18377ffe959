package org.malipo.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The image (docs/adr/0032-image-built-by-buildpacks.md): its definition (Jib in pom.xml) always,
 * and the OCI tarball {@code deploy/image-check.sh} builds from a base made on this machine when
 * it is there ({@code .ci/run} builds it before {@code ./mvnw verify}).
 */
class ImageUnitTests {

  private static final Path TARBALL = Path.of("target/image/malipo-gateway.tar");
  private static final String USER = "1002:1000";

  @TempDir Path unpacked;

  // --- the definition -------------------------------------------------------------------------------

  private static Element jib() throws Exception {
    Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
    NodeList plugins = pom.getElementsByTagName("plugin");
    for (int i = 0; i < plugins.getLength(); i++) {
      Element plugin = (Element) plugins.item(i);
      if ("jib-maven-plugin".equals(text(plugin, "artifactId"))) {
        return (Element) plugin.getElementsByTagName("configuration").item(0);
      }
    }
    throw new AssertionError("pom.xml has no jib-maven-plugin");
  }

  private static String text(Element parent, String tag) {
    NodeList found = parent.getElementsByTagName(tag);
    return found.getLength() == 0 ? null : found.item(0).getTextContent().strip();
  }

  @Test
  void theJarStartsTheProductionApplicationAndOnlyTheCommandLineGoalsTheLocalRun() throws Exception {
    Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
    NodeList plugins = pom.getElementsByTagName("plugin");
    Element boot = null;
    for (int i = 0; i < plugins.getLength(); i++) {
      Element plugin = (Element) plugins.item(i);
      if ("spring-boot-maven-plugin".equals(text(plugin, "artifactId"))) {
        boot = plugin;
      }
    }
    assertThat(boot).as("spring-boot-maven-plugin").isNotNull();
    // The plugin-level configuration is what repackage (the jar's Start-Class) uses.
    Element pluginConfiguration = null;
    NodeList children = boot.getChildNodes();
    for (int i = 0; i < children.getLength(); i++) {
      if (children.item(i) instanceof Element child && "configuration".equals(child.getTagName())) {
        pluginConfiguration = child;
      }
    }
    assertThat(pluginConfiguration).isNotNull();
    assertThat(text(pluginConfiguration, "mainClass")).isEqualTo("org.malipo.gateway.MalipoApplication");
    assertThat(Path.of("src/main/java/org/malipo/gateway/MalipoApplication.java")).isRegularFile();
    NodeList executions = boot.getElementsByTagName("execution");
    for (int i = 0; i < executions.getLength(); i++) {
      Element execution = (Element) executions.item(i);
      String mainClass = text(execution, "mainClass");
      if (mainClass != null && mainClass.contains("Local")) {
        assertThat(text(execution, "id")).as("only goals typed on the command line start the local run")
            .isEqualTo("default-cli");
      }
    }
  }

  @Test
  void theBaseIsAJre25PinnedByDigest() throws Exception {
    String base = text((Element) jib().getElementsByTagName("from").item(0), "image");

    assertThat(base).matches("eclipse-temurin:25-jre(-[a-z]+)?@sha256:[0-9a-f]{64}");
  }

  @Test
  void theContainerRunsTheProductionApplicationAsTheDeploymentsNonRootUserOnPort8080() throws Exception {
    Element container = (Element) jib().getElementsByTagName("container").item(0);

    assertThat(text(container, "user")).isEqualTo(USER).doesNotStartWith("0:");
    assertThat(text(container, "port")).isEqualTo("8080");
    assertThat(text(container, "mainClass")).isEqualTo("org.malipo.gateway.MalipoApplication");
    assertThat(text(container, "JAVA_TOOL_OPTIONS")).contains("-XX:MaxRAMPercentage=70", "-XX:+ExitOnOutOfMemoryError");
    assertThat(text(container, "format")).isEqualTo("OCI");
    Map<String, Object> securityContext = deploymentPodSecurityContext();
    assertThat(securityContext.get("runAsUser") + ":" + securityContext.get("runAsGroup")).isEqualTo(USER);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> deploymentPodSecurityContext() throws IOException {
    Map<String, Object> deployment = new Yaml(new SafeConstructor(new LoaderOptions()))
        .load(Files.readString(Path.of("k8s/base/deployment.yaml")));
    Map<String, Object> template = (Map<String, Object>) ((Map<String, Object>) deployment.get("spec")).get("template");
    return (Map<String, Object>) ((Map<String, Object>) template.get("spec")).get("securityContext");
  }

  // --- the tarball built by deploy/image-check.sh ---------------------------------------------------

  private JsonNode blob(String digest) throws IOException {
    return JsonMapper.builder().build().readTree(Files.readString(
        unpacked.resolve("blobs/sha256").resolve(digest.substring("sha256:".length())), StandardCharsets.UTF_8));
  }

  private JsonNode manifest() throws Exception {
    assumeTrue(Files.isRegularFile(TARBALL), "no " + TARBALL + ": run deploy/image-check.sh first (.ci/run does)");
    Process tar = new ProcessBuilder("tar", "-xf", TARBALL.toAbsolutePath().toString(), "-C", unpacked.toString())
        .redirectErrorStream(true).start();
    String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(tar.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(tar.exitValue()).as(output).isZero();
    JsonNode index = JsonMapper.builder().build().readTree(Files.readString(unpacked.resolve("index.json")));
    return blob(index.get("manifests").get(0).get("digest").asString());
  }

  @Test
  void theBuiltImageRunsAsNonRootAndExposes8080() throws Exception {
    JsonNode config = blob(manifest().get("config").get("digest").asString()).get("config");

    assertThat(config.get("User").asString()).isEqualTo(USER);
    assertThat(config.get("ExposedPorts").has("8080/tcp")).isTrue();
    assertThat(config.get("ExposedPorts").size()).isEqualTo(1);
  }

  @Test
  void theBuiltImagesEntrypointStartsTheProductionApplicationWithTheHeapFlags() throws Exception {
    JsonNode config = blob(manifest().get("config").get("digest").asString()).get("config");

    List<String> entrypoint = new ArrayList<>();
    config.get("Entrypoint").forEach(part -> entrypoint.add(part.asString()));
    assertThat(entrypoint).containsExactly("java", "-cp", "@/app/jib-classpath-file", "org.malipo.gateway.MalipoApplication");
    List<String> environment = new ArrayList<>();
    config.get("Env").forEach(variable -> environment.add(variable.asString()));
    assertThat(environment).contains(
        "JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp");
    assertThat(environment).anySatisfy(variable -> assertThat(variable).startsWith("PATH=/opt/java/openjdk/bin"));
  }

  @Test
  void theBuiltImageIsLayeredWithDependenciesApartFromTheApplication() throws Exception {
    JsonNode manifest = manifest();
    JsonNode history = blob(manifest.get("config").get("digest").asString()).get("history");

    List<String> layers = new ArrayList<>();
    history.forEach(entry -> layers.add(entry.has("comment") ? entry.get("comment").asString() : ""));
    assertThat(layers).contains("dependencies", "resources", "classes");
    assertThat(layers.indexOf("dependencies")).isLessThan(layers.indexOf("classes"));
    assertThat(manifest.get("layers").size()).as("base layer and Jib's layers").isGreaterThanOrEqualTo(4);
  }
}
