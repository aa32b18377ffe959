package org.malipo.gateway.merchant;

import java.time.Duration;
import java.util.List;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.auth.PublishableKeys;
import org.malipo.gateway.auth.Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.context.annotation.Profile;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/**
 * Local and sandbox profiles: seeds a demo merchant and an operator merchant with the client
 * secrets of {@link DemoProperties}, idempotently (existing rows, and so their secrets, are kept),
 * and logs them once at start-up. The local profile's secrets are public knowledge and logged;
 * the sandbox profile's come from the deployment and are never logged.
 */
@Component
@Profile("local | sandbox")
final class DemoMerchants implements ApplicationRunner {

  private static final Logger log = LoggerFactory.getLogger(DemoMerchants.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(15);
  /** The demo client: a merchant's scopes and the payout scopes (issue 21). */
  static final List<String> DEMO_SCOPES = java.util.stream.Stream.concat(Merchants.MERCHANT_SCOPES.stream(),
      java.util.stream.Stream.of(Principal.PAYOUTS_WRITE, Principal.PAYOUTS_READ)).toList();

  /** The demo merchant's publishable key (test mode; public, like every publishable key). */
  static final String DEMO_PUBLISHABLE_KEY = "pk_test_demo_mer_demo_local";

  private final Merchants merchants;
  private final PublishableKeys publishableKeys;
  private final ApiClients clients;
  private final TransactionalOperator transactions;
  private final DemoProperties secrets;
  private final boolean local;

  DemoMerchants(Merchants merchants, ApiClients clients, TransactionalOperator transactions, DemoProperties secrets,
      Environment environment, PublishableKeys publishableKeys) {
    this.publishableKeys = publishableKeys;
    if (secrets.clientSecret() == null || secrets.clientSecret().isBlank()
        || secrets.adminClientSecret() == null || secrets.adminClientSecret().isBlank()) {
      throw new IllegalStateException("set malipo.demo.client-secret and malipo.demo.admin-client-secret");
    }
    this.merchants = merchants;
    this.clients = clients;
    this.transactions = transactions;
    this.secrets = secrets;
    this.local = environment.matchesProfiles("local");
  }

  @Override
  public void run(ApplicationArguments args) {
    Mono<Void> seed = merchants.createIfAbsent("mer_demo", "Demo Merchant", "KE")
        .then(clients.registerIfAbsent("demo_client", "mer_demo", secrets.clientSecret(), DEMO_SCOPES))
        .then(publishableKeys.registerIfAbsent(DEMO_PUBLISHABLE_KEY, "mer_demo", false))
        .then(merchants.createIfAbsent("mer_operator", "Malipo Operations", "KE"))
        .then(clients.registerIfAbsent("admin_client", "mer_operator", secrets.adminClientSecret(),
            List.of(Principal.ADMIN, Principal.PAYMENTS_READ)))
        .then(secrets.regulatorClientSecret() == null || secrets.regulatorClientSecret().isBlank()
            ? Mono.just(false)
            : clients.registerIfAbsent("regulator_client", "mer_operator", secrets.regulatorClientSecret(),
                List.of(Principal.REGULATOR)))
        .then();
    // Start-up on the main thread, not an event loop: waiting here is fine and keeps the log in order.
    transactions.transactional(seed).block(TIMEOUT);
    if (!local) {
      log.info("Sandbox demo clients (test mode): demo_client (merchant mer_demo; secret malipo.demo.client-secret, "
          + "publishable key " + DEMO_PUBLISHABLE_KEY + "), admin_client (operator; secret malipo.demo.admin-client-secret)");
      return;
    }
    log.info("""

        ==== Local demo credentials (local profile only; these secrets are public) ====
          merchant mer_demo     "Demo Merchant" (KE)
            client_id=demo_client   client_secret=demo_secret   scopes: payments:write payments:read refunds:write payouts:write payouts:read
            publishable_key=pk_test_demo_mer_demo_local   (test mode: sandbox rails only)
          merchant mer_operator "Malipo Operations" (KE)
            client_id=admin_client  client_secret=admin_secret  scopes: admin payments:read
            client_id=regulator_client  client_secret=regulator_secret  scopes: regulator (console, read-only)
          Console: http://localhost:8080/console (log in with admin_client/admin_secret)
          Token: curl -u demo_client:demo_secret -d grant_type=client_credentials http://localhost:8080/v1/oauth/token
        ==============================================================================""");
  }
}
