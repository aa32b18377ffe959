package org.malipo.gateway.contract;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.interaction.ApiOperationResolver;
import com.atlassian.oai.validator.model.ApiOperationMatch;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.MessageResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.schema.SchemaValidator;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The API contract {@code contracts/openapi.yaml}, loaded once per test JVM: Atlassian's
 * {@link OpenApiInteractionValidator} for requests and responses, plus the fully resolved model for
 * what that validator does not check (undocumented response headers, the problem schema of
 * unrouted paths).
 */
public final class OpenApiContract {

  /** The contract, relative to the project root (Maven runs tests there). */
  public static final Path SPEC = Path.of("contracts", "openapi.yaml");

  private static volatile OpenApiContract instance;

  private final OpenApiInteractionValidator validator;
  private final OpenAPI model;
  private final ApiOperationResolver operations;
  private final SchemaValidator schemas;

  private OpenApiContract(Path spec) {
    if (!Files.isRegularFile(spec)) {
      throw new IllegalStateException("No API contract at " + spec.toAbsolutePath());
    }
    String location = spec.toAbsolutePath().toString();
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    options.setResolveFully(true);
    SwaggerParseResult parsed = new OpenAPIV3Parser().readLocation(location, null, options);
    if (parsed.getOpenAPI() == null || (parsed.getMessages() != null && !parsed.getMessages().isEmpty())) {
      throw new IllegalStateException("The API contract does not parse: " + parsed.getMessages());
    }
    this.model = parsed.getOpenAPI();
    // Every message is an error: nothing in the contract is advisory (the library's defaults are).
    this.validator = OpenApiInteractionValidator.createFor(location)
        .withLevelResolver(LevelResolver.create().withDefaultLevel(ValidationReport.Level.ERROR).build())
        .build();
    this.operations = new ApiOperationResolver(model, null, true);
    this.schemas = new SchemaValidator(model, new MessageResolver());
  }

  /** The shared contract (parsing the YAML costs about a second, so once per JVM). */
  public static OpenApiContract get() {
    OpenApiContract local = instance;
    if (local == null) {
      synchronized (OpenApiContract.class) {
        local = instance;
        if (local == null) {
          local = new OpenApiContract(SPEC);
          instance = local;
        }
      }
    }
    return local;
  }

  /** The interaction validator. */
  OpenApiInteractionValidator validator() {
    return validator;
  }

  /** The fully resolved model. */
  public OpenAPI model() {
    return model;
  }

  /** The documented operation for a concrete path and method, or why there is none. */
  ApiOperationMatch operation(String path, Request.Method method) {
    return operations.findApiOperation(path, method);
  }

  /**
   * The response headers the contract declares for one operation and status, lower-cased.
   *
   * @return empty when the status is not documented (the validator reports that)
   */
  Set<String> declaredHeaders(Operation operation, int status) {
    Set<String> names = new TreeSet<>();
    ApiResponse response = operation.getResponses() == null ? null : operation.getResponses().get(Integer.toString(status));
    if (response != null && response.getHeaders() != null) {
      for (Map.Entry<String, Header> header : response.getHeaders().entrySet()) {
        names.add(header.getKey().toLowerCase(Locale.ROOT));
      }
    }
    return names;
  }

  /**
   * The headers of {@code x-common-response-headers}: lower-cased name to its component.
   *
   * @param group {@code every-response} or {@code rate-limited-operations}
   */
  Map<String, Header> commonHeaders(String group) {
    Map<String, Header> headers = new java.util.TreeMap<>();
    Object table = model.getExtensions() == null ? null : model.getExtensions().get("x-common-response-headers");
    if (!(table instanceof Map<?, ?> groups) || !(groups.get(group) instanceof Map<?, ?> entries)) {
      throw new IllegalStateException("contracts/openapi.yaml lacks x-common-response-headers." + group);
    }
    entries.forEach((name, value) -> {
      if (value instanceof Map<?, ?> ref && ref.get("$ref") instanceof String pointer) {
        String component = pointer.substring(pointer.lastIndexOf('/') + 1);
        Header header = model.getComponents().getHeaders().get(component);
        if (header == null) {
          throw new IllegalStateException("x-common-response-headers." + group + " names a missing component " + pointer);
        }
        headers.put(((String) name).toLowerCase(Locale.ROOT), header);
      }
    });
    return headers;
  }

  /** Whether the operation documents {@code 429}: then it is rate limited and carries the RateLimit fields. */
  static boolean isRateLimited(Operation operation) {
    return operation.getResponses() != null && operation.getResponses().containsKey("429");
  }

  /**
   * Why {@code value} breaks the header's schema ({@code const} or {@code pattern}), or null.
   */
  static String headerValueFailure(String name, String value, Header header) {
    Schema<?> schema = header.getSchema();
    if (schema == null) {
      return null;
    }
    if (schema.getConst() != null && !schema.getConst().toString().equals(value)) {
      return "Response header '" + name + "' is '" + value + "', the contract says '" + schema.getConst() + "'";
    }
    if (schema.getPattern() != null && !java.util.regex.Pattern.compile(schema.getPattern()).matcher(value).find()) {
      return "Response header '" + name + "' is '" + value + "', which does not match " + schema.getPattern();
    }
    return null;
  }

  /** Validates a JSON document against {@code #/components/schemas/<name>}. */
  ValidationReport validateAgainst(String schemaName, String json) {
    Schema<?> schema = model.getComponents().getSchemas().get(schemaName);
    if (schema == null) {
      throw new IllegalArgumentException("No schema " + schemaName + " in the contract");
    }
    return schemas.validate(json, schema, "response.body");
  }
}
