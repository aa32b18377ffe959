package org.malipo.gateway.api;

import java.util.List;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * Strict reading of request bodies: one JSON object, no duplicate keys, nesting at most
 * {@value #MAX_NESTING_DEPTH}, no unknown fields, no type coercion (a string or fractional
 * {@code amount} is refused, not converted). Field names are snake_case.
 *
 * <p>Errors are {@link ApiProblem}s: {@code invalid_json} for anything that is not well-formed,
 * {@code parameter_unknown} with {@code param} for a field the type does not have,
 * {@code parameter_invalid} (or {@code amount_invalid} for {@code amount}) for a wrong type or
 * an integer out of the field's range (an {@code amount} of 2^63 is {@code amount_invalid}, not
 * {@code invalid_json}: the body is well-formed, the value is wrong).
 */
@Component
public final class StrictJson {

  /** Deepest nesting of objects and arrays accepted in a request body. */
  public static final int MAX_NESTING_DEPTH = 32;

  private final JsonMapper mapper;
  private final JsonMapper canonicalWriter;

  StrictJson() {
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
    this.mapper = JsonMapper.builder(factory)
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .withCoercionConfig(LogicalType.Integer, c -> c
            .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
        .withCoercionConfig(LogicalType.Textual, c -> c
            .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
        .withCoercionConfig(LogicalType.Boolean, c -> c
            .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail))
        .build();
    this.canonicalWriter = JsonMapper.builder()
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
        .build();
  }

  /**
   * Parses {@code body} as one JSON object.
   *
   * @param body the raw request body; empty is {@code invalid_json}
   * @return the object node
   * @throws ApiProblem {@code 400 invalid_json}
   */
  public JsonNode readObject(byte[] body) {
    if (body == null || body.length == 0) {
      throw ApiProblem.of(ProblemCode.INVALID_JSON, "The request body is empty; send a JSON object.");
    }
    JsonNode tree;
    try {
      tree = mapper.readTree(body);
    } catch (JacksonException e) {
      throw ApiProblem.of(ProblemCode.INVALID_JSON, "The request body is not valid JSON: " + safeReason(e));
    }
    if (tree == null || !tree.isObject()) {
      throw ApiProblem.of(ProblemCode.INVALID_JSON, "The request body must be a JSON object.");
    }
    return tree;
  }

  /**
   * Checks the body of a route that takes no parameters: empty or {@code {}}. A client that sends
   * fields there expects them to be applied (say its own {@code secret}); refusing them is the
   * same rule as everywhere else, unknown fields are never silently dropped.
   *
   * @param body raw request body, may be empty
   * @throws ApiProblem {@code 400 invalid_json} for a body that is not a JSON object, or
   *     {@code 400 parameter_unknown} with {@code param} naming the first field
   */
  public void requireNoFields(byte[] body) {
    if (body == null || body.length == 0) {
      return;
    }
    JsonNode tree = readObject(body);
    for (String field : tree.propertyNames()) {
      throw ApiProblem.param(ProblemCode.PARAMETER_UNKNOWN, field, "Unknown parameter '" + field + "'; this route takes no body.");
    }
  }

  /**
   * Parses {@code body} strictly into {@code type}.
   *
   * @param body raw request body
   * @param type a record whose component names are the camelCase form of the snake_case fields
   * @throws ApiProblem {@code invalid_json}, {@code parameter_unknown}, {@code parameter_invalid}
   *     or {@code amount_invalid}, each with {@code param} where one field is at fault
   */
  public <T> T read(byte[] body, Class<T> type) {
    return bind(readObject(body), type);
  }

  /**
   * Binds an already parsed object strictly into {@code type}; errors as {@link #read}.
   */
  public <T> T bind(JsonNode tree, Class<T> type) {
    try {
      return mapper.treeToValue(tree, type);
    } catch (UnrecognizedPropertyException e) {
      String param = path(e);
      throw ApiProblem.param(ProblemCode.PARAMETER_UNKNOWN, param, "Unknown parameter '" + param + "'.");
    } catch (InputCoercionException e) {
      // A well-formed integer too large for its field (a StreamReadException, but not bad JSON).
      throw wrongValue(path(e));
    } catch (StreamReadException e) {
      throw ApiProblem.of(ProblemCode.INVALID_JSON, "The request body is not valid JSON: " + safeReason(e));
    } catch (JacksonException e) {
      throw wrongValue(path(e));
    }
  }

  private static ApiProblem wrongValue(String param) {
    ProblemCode code = param.equals("amount") ? ProblemCode.AMOUNT_INVALID : ProblemCode.PARAMETER_INVALID;
    return ApiProblem.param(code, param, "'" + param + "' has the wrong type, format or range.");
  }

  /**
   * The canonical text of a JSON object: keys sorted at every level, no insignificant space. Two
   * bodies that differ only in key order or white space have the same canonical form.
   */
  public String canonical(JsonNode tree) {
    Object plain = canonicalWriter.treeToValue(tree, Object.class);
    return canonicalWriter.writeValueAsString(plain);
  }

  private static String path(JacksonException e) {
    List<JacksonException.Reference> path = e.getPath();
    StringBuilder out = new StringBuilder();
    for (JacksonException.Reference ref : path) {
      if (ref.getPropertyName() != null) {
        if (!out.isEmpty()) {
          out.append('.');
        }
        out.append(ref.getPropertyName());
      } else if (ref.getIndex() >= 0) {
        out.append('[').append(ref.getIndex()).append(']');
      }
    }
    return out.isEmpty() ? "body" : out.toString();
  }

  /** The parser's reason without the echo of input it may contain (a body may hold a PAN). */
  private static String safeReason(JacksonException e) {
    String message = e.getOriginalMessage();
    if (message == null) {
      return "unreadable";
    }
    int cut = message.indexOf('\n');
    String firstLine = cut < 0 ? message : message.substring(0, cut);
    return firstLine.replaceAll("\\d{6,}", "…");
  }
}
