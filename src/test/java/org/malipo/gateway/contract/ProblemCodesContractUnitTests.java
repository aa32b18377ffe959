package org.malipo.gateway.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.swagger.v3.oas.models.media.Schema;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.ProblemCode;

/**
 * The contract lists every {@link ProblemCode} with the status it is always answered with, and
 * each per-status problem schema ({@code Problem400}, ...) admits exactly the codes of its status.
 */
class ProblemCodesContractUnitTests {

  private final Map<String, Schema> schemas = OpenApiContract.get().model().getComponents().getSchemas();

  @Test
  void theProblemSchemaListsEveryCodeWithItsStatus() {
    Map<String, Integer> inCode = Arrays.stream(ProblemCode.values())
        .collect(Collectors.toMap(ProblemCode::wireName, c -> c.status().value(), (a, b) -> a, TreeMap::new));
    Schema<?> problem = schemas.get("Problem");
    @SuppressWarnings("unchecked")
    Map<String, Object> table = (Map<String, Object>) problem.getExtensions().get("x-problem-codes");
    Map<String, Integer> inContract = new TreeMap<>();
    table.forEach((code, status) -> inContract.put(code, ((Number) status).intValue()));

    assertThat(inContract).isEqualTo(inCode);
    assertThat(new TreeSet<>(enumOf(problem, "code"))).isEqualTo(inCode.keySet());
  }

  @Test
  void eachStatusSchemaAdmitsExactlyTheCodesOfThatStatus() {
    Map<Integer, TreeSet<String>> byStatus = Arrays.stream(ProblemCode.values())
        .collect(Collectors.groupingBy(c -> c.status().value(), TreeMap::new,
            Collectors.mapping(ProblemCode::wireName, Collectors.toCollection(TreeSet::new))));
    byStatus.forEach((status, codes) -> {
      Schema<?> schema = schemas.get("Problem" + status);
      if (schema != null) {
        assertThat(new TreeSet<>(enumOf(schema, "code"))).as("codes of Problem%d", status).isEqualTo(codes);
      }
    });
    // Every status but 405 (answered only for methods the contract has no operation for) has one.
    assertThat(byStatus.keySet().stream().filter(s -> !schemas.containsKey("Problem" + s)).toList()).containsExactly(405);
  }

  @Test
  void everyBearerOperationDocumentsTheRateLimitAnswer() {
    java.util.List<String> missing = new java.util.ArrayList<>();
    OpenApiContract.get().model().getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> {
      boolean bearer = operation.getSecurity() != null
          && operation.getSecurity().stream().anyMatch(requirement -> requirement.containsKey("bearerAuth"));
      if (bearer && !OpenApiContract.isRateLimited(operation)) {
        missing.add(method + " " + path);
      }
    }));
    assertThat(missing).as("Bearer operations without '429' (the rate limiter answers every one of them)").isEmpty();
  }

  private static java.util.List<?> enumOf(Schema<?> schema, String property) {
    return ((Schema<?>) schema.getProperties().get(property)).getEnum();
  }
}
