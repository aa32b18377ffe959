package org.malipo.gateway.routing;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Routing configuration ({@code malipo.routing.*}).
 *
 * @param priority rail names, most preferred first; rails not listed come after, in configuration order
 */
@ConfigurationProperties("malipo.routing")
public record RoutingProperties(List<String> priority) {

  public RoutingProperties {
    priority = priority == null ? List.of() : List.copyOf(priority);
  }
}
