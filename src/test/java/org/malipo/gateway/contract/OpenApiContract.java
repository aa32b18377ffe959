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

  /** Validates a JSON document against {@code #/components/schemas/<name>}. */
  ValidationReport validateAgainst(String schemaName, String json) {
    Schema<?> schema = model.getComponents().getSchemas().get(schemaName);
    if (schema == null) {
      throw new IllegalArgumentException("No schema " + schemaName + " in the contract");
    }
    return schemas.validate(json, schema, "response.body");
  }
}
