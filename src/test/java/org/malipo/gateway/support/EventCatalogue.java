package org.malipo.gateway.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The event catalogue {@code contracts/asyncapi.yaml} as JSON schemas, one per event type (the
 * message {@code name}), so tests can check that what the gateway emits is what it documents.
 *
 * <p>The AsyncAPI document's {@code components.schemas} become the {@code definitions} of each
 * message's schema ({@code #/components/schemas/X} is rewritten to {@code #/definitions/X});
 * AsyncAPI 3's default schema format is a superset of JSON Schema draft 07.
 */
public final class EventCatalogue {

  /** Path of the catalogue relative to the project directory (the test JVM's working directory). */
  public static final Path DOCUMENT = Path.of("contracts", "asyncapi.yaml");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static EventCatalogue instance;

  private final Map<String, Schema> schemasByType;
  private final String channelAddress;

  private EventCatalogue(Map<String, Schema> schemasByType, String channelAddress) {
    this.schemasByType = schemasByType;
    this.channelAddress = channelAddress;
  }

  /** The catalogue of the project's {@code contracts/asyncapi.yaml}, read once per JVM. */
  public static synchronized EventCatalogue load() {
    if (instance == null) {
      try {
        instance = parse(Files.readString(DOCUMENT));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + DOCUMENT.toAbsolutePath(), e);
      }
    }
    return instance;
  }

  /** Parses an AsyncAPI 3 document given as YAML text. */
  public static EventCatalogue parse(String yaml) {
    try {
      JsonNode document = new ObjectMapper(new YAMLFactory()).readTree(yaml);
      if (!document.path("asyncapi").asText().startsWith("3.")) {
        throw new IllegalArgumentException("not an AsyncAPI 3 document");
      }
      ObjectNode definitions = (ObjectNode) rewriteRefs(document.path("components").path("schemas").deepCopy());
      SchemaRegistry factory = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7);
      Map<String, Schema> schemas = new TreeMap<>();
      Iterator<Map.Entry<String, JsonNode>> messages = document.path("components").path("messages").fields();
      while (messages.hasNext()) {
        JsonNode message = messages.next().getValue();
        String payloadRef = message.path("payload").path("$ref").asText();
        ObjectNode root = JSON.createObjectNode();
        root.put("$schema", "http://json-schema.org/draft-07/schema#");
        root.set("definitions", definitions);
        ArrayNode allOf = root.putArray("allOf");
        allOf.addObject().put("$ref", payloadRef.replace("#/components/schemas/", "#/definitions/"));
        schemas.put(message.path("name").asText(), factory.getSchema(root));
      }
      String address = document.path("channels").path("paymentsV1").path("address").asText();
      return new EventCatalogue(Map.copyOf(schemas), address);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every event type the catalogue documents. */
  public Set<String> types() {
    return schemasByType.keySet();
  }

  /** The Kafka topic of the payments channel. */
  public String channelAddress() {
    return channelAddress;
  }

  /**
   * Why {@code eventJson} does not match its type's schema.
   *
   * @return empty when it matches; otherwise one line per violation (an unknown type is one)
   */
  public List<String> violations(String eventJson) {
    JsonNode event;
    try {
      event = JSON.readTree(eventJson);
    } catch (IOException e) {
      return List.of("not JSON: " + e.getMessage());
    }
    String type = event.path("type").asText();
    Schema schema = schemasByType.get(type);
    if (schema == null) {
      return List.of("event type '" + type + "' is not in " + DOCUMENT);
    }
    List<com.networknt.schema.Error> errors = schema.validate(event);
    return errors.stream().map(error -> type + ": " + error.getMessage()).sorted().toList();
  }

  private static JsonNode rewriteRefs(JsonNode node) {
    if (node instanceof ObjectNode object) {
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        if (field.getKey().equals("$ref") && field.getValue().isTextual()) {
          field.setValue(JSON.getNodeFactory().textNode(
              field.getValue().asText().replace("#/components/schemas/", "#/definitions/")));
        } else {
          rewriteRefs(field.getValue());
        }
      }
    } else if (node instanceof ArrayNode array) {
      array.forEach(EventCatalogue::rewriteRefs);
    }
    return node;
  }
}
