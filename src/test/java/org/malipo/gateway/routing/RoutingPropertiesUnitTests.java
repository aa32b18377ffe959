package org.malipo.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class RoutingPropertiesUnitTests {

  @Test
  void aFlatPriorityListIsOneRailPerTier() {
    RoutingProperties properties = bind(Map.of(
        "malipo.routing.priority[0]", "acquirer_a",
        "malipo.routing.priority[1]", "acquirer_b"));

    assertThat(properties.priority()).containsExactly(List.of("acquirer_a"), List.of("acquirer_b"));
  }

  @Test
  void aCommaSeparatedPriorityIsOneRailPerTier() {
    RoutingProperties properties = bind(Map.of("malipo.routing.priority", "acquirer_a,acquirer_b"));

    assertThat(properties.priority()).containsExactly(List.of("acquirer_a"), List.of("acquirer_b"));
  }

  @Test
  void aNestedListIsATierOfSeveralRails() {
    RoutingProperties properties = bind(Map.of(
        "malipo.routing.priority[0][0]", "acquirer_a",
        "malipo.routing.priority[0][1]", "acquirer_b",
        "malipo.routing.priority[1][0]", "acquirer_c"));

    assertThat(properties.priority()).containsExactly(List.of("acquirer_a", "acquirer_b"), List.of("acquirer_c"));
  }

  @Test
  void merchantRulesKeepTheMerchantIdWhenBracketed() {
    RoutingProperties properties = bind(Map.of(
        "malipo.routing.merchant-rules.[mer_0a1b][0][0]", "acquirer_b",
        "malipo.routing.merchant-rules.[mer_0a1b][0][1]", "acquirer_a"));

    assertThat(properties.merchantRules()).containsOnlyKeys("mer_0a1b");
    assertThat(properties.merchantRules().get("mer_0a1b")).containsExactly(List.of("acquirer_b", "acquirer_a"));
  }

  @Test
  void defaultsAreFivePercentExplorationAndATenSecondWindow() {
    RoutingProperties properties = new RoutingProperties(null, null, null, null);

    assertThat(properties.explorationPercent()).isEqualTo(5);
    assertThat(properties.health().window()).hasSeconds(10);
    assertThat(properties.health().minSamples()).isEqualTo(5);
    assertThat(properties.health().latencyTarget()).hasMillis(500);
    assertThat(properties.priority()).isEmpty();
    assertThat(properties.merchantRules()).isEmpty();
  }

  @Test
  void refusesAnExplorationShareAboveHalf() {
    assertThatThrownBy(() -> new RoutingProperties(null, null, null, 51))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exploration-percent");
  }

  @Test
  void refusesAnEmptyTier() {
    assertThatThrownBy(() -> new RoutingProperties(List.of(List.of()), null, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("malipo.routing.priority");
  }

  @Test
  void anInvalidValueFailsTheBinding() {
    assertThatThrownBy(() -> bind(Map.of("malipo.routing.exploration-percent", "90")))
        .isInstanceOf(BindException.class);
  }

  private static RoutingProperties bind(Map<String, String> values) {
    return new Binder(new MapConfigurationPropertySource(values))
        .bindOrCreate("malipo.routing", RoutingProperties.class);
  }
}
