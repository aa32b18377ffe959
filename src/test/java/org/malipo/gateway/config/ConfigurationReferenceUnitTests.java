package org.malipo.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Name;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.type.filter.AnnotationTypeFilter;

/**
 * docs/configuration.md names every property the gateway reads: each component of every
 * {@code @ConfigurationProperties} record (nested records and map values expanded, a map key
 * written as {@code <…>}), every {@code @Value} property, and every environment variable
 * application.yml reads, each on a row with its environment variable. Adding a setting without
 * documenting it fails here.
 */
class ConfigurationReferenceUnitTests {

  private static final Path REFERENCE = Path.of("docs/configuration.md");
  private static final Pattern VALUE = Pattern.compile("@Value\\(\"\\$\\{([a-z0-9.\\-]+)[:}]");
  private static final Pattern PLACEHOLDER_VARIABLE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]+)[:}]");

  /** Every property bound by a {@code @ConfigurationProperties} record of the gateway. */
  static List<String> boundProperties() throws ClassNotFoundException {
    ClassPathScanningCandidateComponentProvider scanner = new ClassPathScanningCandidateComponentProvider(false);
    scanner.addIncludeFilter(new AnnotationTypeFilter(ConfigurationProperties.class));
    List<String> properties = new ArrayList<>();
    for (BeanDefinition candidate : scanner.findCandidateComponents("org.malipo.gateway")) {
      Class<?> type = Class.forName(candidate.getBeanClassName());
      ConfigurationProperties annotation = type.getAnnotation(ConfigurationProperties.class);
      if (annotation != null && type.isRecord()) {
        String prefix = annotation.value().isEmpty() ? annotation.prefix() : annotation.value();
        expand(prefix, type, properties);
      }
    }
    return properties;
  }

  private static void expand(String prefix, Class<?> record, List<String> properties) {
    RecordComponent[] components = record.getRecordComponents();
    Parameter[] parameters = canonicalConstructor(record, components).getParameters();
    for (int i = 0; i < components.length; i++) {
      RecordComponent component = components[i];
      // @Name targets parameters: it sits on the canonical constructor's, not on the component.
      Name name = parameters[i].getAnnotation(Name.class);
      String property = prefix + "." + (name != null ? name.value() : kebab(component.getName()));
      Class<?> type = component.getType();
      if (isGatewayRecord(type)) {
        expand(property, type, properties);
      } else if (Map.class.isAssignableFrom(type)) {
        Type value = ((ParameterizedType) component.getGenericType()).getActualTypeArguments()[1];
        if (value instanceof Class<?> valueClass && isGatewayRecord(valueClass)) {
          expand(property + ".<key>", valueClass, properties);
        } else {
          properties.add(property + ".<key>");
        }
      } else {
        properties.add(property);
      }
    }
  }

  private static Constructor<?> canonicalConstructor(Class<?> record, RecordComponent[] components) {
    try {
      return record.getDeclaredConstructor(Stream.of(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
    } catch (NoSuchMethodException e) {
      throw new AssertionError(record + " has no canonical constructor", e);
    }
  }

  private static boolean isGatewayRecord(Class<?> type) {
    return type.isRecord() && type.getName().startsWith("org.malipo.gateway.");
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
  }

  /** Every {@code @Value("${…}")} property of the main sources. */
  static List<String> valueProperties() throws IOException {
    TreeSet<String> found = new TreeSet<>();
    try (Stream<Path> sources = Files.walk(Path.of("src/main/java"))) {
      for (Path source : sources.filter(path -> path.toString().endsWith(".java")).toList()) {
        Matcher matcher = VALUE.matcher(Files.readString(source));
        while (matcher.find()) {
          found.add(matcher.group(1));
        }
      }
    }
    return List.copyOf(found);
  }

  /** Every environment variable an application*.yml placeholder reads. */
  static List<String> placeholderVariables() throws IOException {
    TreeSet<String> found = new TreeSet<>();
    try (Stream<Path> files = Files.list(Path.of("src/main/resources"))) {
      for (Path file : files.filter(path -> path.getFileName().toString().matches("application.*\\.yml")).toList()) {
        Matcher matcher = PLACEHOLDER_VARIABLE.matcher(Files.readString(file));
        while (matcher.find()) {
          found.add(matcher.group(1));
        }
      }
    }
    return List.copyOf(found);
  }

  /** The reference's table rows, with every {@code <…>} map key written {@code <key>}. */
  private static List<String> rows() throws IOException {
    return Files.readAllLines(REFERENCE).stream().filter(line -> line.startsWith("|"))
        .map(line -> line.replaceAll("<[A-Za-z_…. ]+>", "<key>")).toList();
  }

  private static List<String> undocumented(List<String> properties, List<String> rows) {
    return properties.stream().filter(property -> {
      String variable = RequiredSettings.environmentVariable(property).replace("<KEY>", "<key>");
      return rows.stream().noneMatch(row -> row.contains("`" + property + "`")
          && (row.contains("`" + variable + "`") || row.contains("no variable")));
    }).toList();
  }

  @Test
  void everyConfigurationPropertiesComponentIsDocumentedWithItsVariable() throws Exception {
    List<String> properties = boundProperties();

    assertThat(properties).as("the scan finds the records").contains("malipo.kafka.topic-replication-factor",
        "malipo.rails.card.acquirers.<key>.circuit-breaker.wait-in-open", "malipo.rate-limit.default.capacity",
        "malipo.retention.outbox", "malipo.webhooks.secret-encryption.keys.<key>");
    assertThat(undocumented(properties, rows())).as("missing from %s (or without their variable)", REFERENCE)
        .isEmpty();
  }

  @Test
  void everyValuePropertyIsDocumentedWithItsVariable() throws Exception {
    List<String> properties = valueProperties();

    assertThat(properties).contains("malipo.cards.fingerprint-key", "malipo.payments.max-in-flight");
    assertThat(undocumented(properties, rows())).as("missing from %s", REFERENCE).isEmpty();
  }

  @Test
  void everyVariableOfTheApplicationFilesIsDocumented() throws Exception {
    List<String> variables = placeholderVariables();
    List<String> rows = rows();

    assertThat(variables).contains("MALIPO_DB_HOST", "MALIPO_CARD_FINGERPRINT_KEY");
    assertThat(variables).filteredOn(variable -> rows.stream().noneMatch(row -> row.contains("`" + variable + "`")))
        .as("missing from %s", REFERENCE).isEmpty();
  }

  @Test
  void theCheckCatchesAnUndocumentedProperty() throws Exception {
    assertThat(undocumented(List.of("malipo.kafka.not-a-documented-setting"), rows()))
        .containsExactly("malipo.kafka.not-a-documented-setting");
  }
}
