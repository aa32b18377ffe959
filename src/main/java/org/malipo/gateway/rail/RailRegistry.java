package org.malipo.gateway.rail;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The configured rails, each already wrapped in its {@link ResilientRail} decoration, so that
 * {@link RailAdapter#authorize} on them never signals an error: every failure is an outcome.
 */
public final class RailRegistry {

  private final List<RailAdapter> rails;
  private final Map<String, RailAdapter> byName;

  /**
   * @param rails the decorated rails; names must be unique
   * @throws IllegalStateException on a duplicate name
   */
  public RailRegistry(List<RailAdapter> rails) {
    this.rails = List.copyOf(rails);
    this.byName = rails.stream().collect(Collectors.toUnmodifiableMap(RailAdapter::name, Function.identity()));
  }

  /** All rails, in configuration order. */
  public List<RailAdapter> all() {
    return rails;
  }

  /** The rail with this name, if configured. */
  public Optional<RailAdapter> byName(String name) {
    return Optional.ofNullable(byName.get(name));
  }
}
