package org.malipo.gateway.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.http.server.PathContainer;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.support.RouterFunctionMapping;
import org.springframework.web.reactive.result.method.RequestMappingInfo;
import org.springframework.web.reactive.result.method.RequestMappingInfoHandlerMapping;
import org.springframework.web.util.pattern.PathPattern;

/**
 * Walks the gateway's router and compares it with {@code contracts/openapi.yaml} both ways: every
 * route (controllers and actuator endpoints, each method) is documented, and every documented
 * operation is routed. Functional routes are not used; the test fails if one appears, so that it
 * is added to this walk rather than slipping past it.
 */
class ContractRoutesIntegrationTests extends IntegrationTest {

  @Autowired private ApplicationContext context;

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() {
    List<Route> routes = routes();
    Set<String> documented = documentedOperations();
    assertThat(routes).as("the walk sees controllers and actuator endpoints").extracting(Route::toString)
        .contains("POST /v1/payments", "GET /actuator/health");

    Set<String> undocumented = new TreeSet<>();
    for (Route route : routes) {
      boolean found = documented.stream().anyMatch(op -> route.serves(op));
      if (!found) {
        undocumented.add(route.toString());
      }
    }
    Set<String> unrouted = new TreeSet<>();
    for (String operation : documented) {
      if (routes.stream().noneMatch(route -> route.serves(operation))) {
        unrouted.add(operation);
      }
    }
    assertThat(undocumented).as("routes missing from contracts/openapi.yaml").isEmpty();
    assertThat(unrouted).as("operations in contracts/openapi.yaml that no route serves").isEmpty();
  }

  @Test
  void noFunctionalRoutesExistThatThisWalkWouldMiss() {
    assertThat(context.getBeansOfType(RouterFunction.class)).as("RouterFunction beans").isEmpty();
    context.getBeansOfType(RouterFunctionMapping.class).values()
        .forEach(mapping -> assertThat(mapping.getRouterFunction()).as("functional routes").isNull());
  }

  /** Every (method, path pattern) pair of every annotated or actuator handler mapping. */
  private List<Route> routes() {
    List<Route> routes = new ArrayList<>();
    for (RequestMappingInfoHandlerMapping mapping : context.getBeansOfType(RequestMappingInfoHandlerMapping.class).values()) {
      for (RequestMappingInfo info : mapping.getHandlerMethods().keySet()) {
        Set<RequestMethod> methods = info.getMethodsCondition().getMethods();
        for (PathPattern pattern : info.getPatternsCondition().getPatterns()) {
          if (methods.isEmpty()) {
            routes.add(new Route("*", pattern));
          }
          for (RequestMethod method : methods) {
            routes.add(new Route(method.name(), pattern));
          }
        }
      }
    }
    return routes;
  }

  /** {@code "GET /v1/payments/{id}"} for every operation of the contract. */
  private static Set<String> documentedOperations() {
    Set<String> operations = new TreeSet<>();
    OpenApiContract.get().model().getPaths().forEach((path, item) ->
        item.readOperationsMap().keySet().forEach(method -> operations.add(method.name() + " " + path)));
    return operations;
  }

  /** A routed method and path pattern. */
  private record Route(String method, PathPattern pattern) {

    /** Whether this route answers {@code "METHOD /path/{param}"} of the contract. */
    boolean serves(String operation) {
      int space = operation.indexOf(' ');
      String operationMethod = operation.substring(0, space);
      // A template variable stands for one concrete segment value.
      String concretePath = operation.substring(space + 1).replaceAll("\\{[^/}]+}", "x");
      return (method.equals("*") || method.equals(operationMethod))
          && pattern.matches(PathContainer.parsePath(concretePath));
    }

    @Override
    public String toString() {
      return method + " " + pattern.getPatternString();
    }
  }
}
