package org.malipo.gateway.merchant;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The demo clients seeded in the {@code local} and {@code sandbox} profiles ({@code malipo.demo.*}).
 * No default: the local profile sets the README's public secrets, the sandbox profile's come from
 * the deployment (config.RequiredSettings refuses to start without them).
 *
 * @param clientSecret the secret of {@code demo_client} (merchant {@code mer_demo})
 * @param adminClientSecret the secret of {@code admin_client} (the operator, scope {@code admin})
 * @param regulatorClientSecret the secret of {@code regulator_client} (read-only console role,
 *     scope {@code regulator}, issue 24); not seeded when unset
 */
@ConfigurationProperties("malipo.demo")
record DemoProperties(String clientSecret, String adminClientSecret, String regulatorClientSecret) {

  @Override
  public String toString() {
    return "DemoProperties[secrets=<redacted>]";
  }
}
