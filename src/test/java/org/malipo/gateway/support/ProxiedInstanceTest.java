package org.malipo.gateway.support;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Base of the dependency-outage tests: a fresh merchant on the {@link ProxiedInstance} before each
 * test, and every proxy restored after it, whatever the test cut.
 */
public abstract class ProxiedInstanceTest extends IntegrationTest {

  /** The gateway whose PostgreSQL, Redis, Kafka and acquirer connections the test may cut. */
  protected ProxiedInstance gateway;
  /** A client of {@link #gateway}. */
  protected WebTestClient client;
  /** {@link #gateway}'s own database. */
  protected DatabaseClient db;
  /** A merchant with {@code payments:write} and {@code payments:read} on {@link #gateway}. */
  protected TestMerchant merchant;

  @BeforeEach
  void merchantOnTheProxiedInstance() {
    gateway = ProxiedInstance.get();
    client = gateway.client();
    db = gateway.bean(DatabaseClient.class);
    merchant = TestMerchants.create(db, gateway.bean(ApiClients.class), client, "payments:write", "payments:read");
  }

  @AfterEach
  void everyDependencyBack() {
    gateway.restoreAll();
  }
}
