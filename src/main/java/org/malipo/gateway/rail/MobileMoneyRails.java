package org.malipo.gateway.rail;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.common.ClientSpans;
import org.malipo.gateway.rail.mpesa.MpesaRail;
import org.malipo.gateway.rail.mtnmomo.MtnMomoRail;
import org.malipo.gateway.sandbox.SandboxServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.resources.ConnectionProvider;

/**
 * The mobile-money rails built from {@link MobileMoneyRailProperties}: undecorated adapters, each
 * with its own bounded connection pool, which {@link #close()} releases. A rail without a
 * {@code base-url} uses the in-process sandbox and its test credentials; without either it is
 * left out (and payments for its operator fail with {@code provider_unavailable}).
 */
final class MobileMoneyRails implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MobileMoneyRails.class);

  private final Map<RailAdapter, RailLimits> rails;
  private final List<ConnectionProvider> pools;

  private MobileMoneyRails(Map<RailAdapter, RailLimits> rails, List<ConnectionProvider> pools) {
    this.rails = rails;
    this.pools = pools;
  }

  static MobileMoneyRails create(MobileMoneyRailProperties properties, SandboxServer sandbox, CallbackUrls callbackUrls,
      Clock clock, ClientSpans spans) {
    Map<RailAdapter, RailLimits> rails = new LinkedHashMap<>();
    List<ConnectionProvider> pools = new ArrayList<>();
    if (callbackUrls == null) {
      log.info("no callback endpoints in this context: mobile-money rails not registered");
      return new MobileMoneyRails(rails, pools);
    }
    MobileMoneyRailProperties.Mpesa mpesa = properties.mpesa();
    if (mpesa.enabled() && (!mpesa.baseUrl().isEmpty() || sandbox != null)) {
      boolean sandboxed = mpesa.baseUrl().isEmpty();
      ConnectionProvider pool = RailHttp.pool(MpesaRail.NAME, mpesa.maxConcurrentCalls(), mpesa.timeout());
      pools.add(pool);
      rails.put(new MpesaRail(RailHttp.webClient(sandboxed ? sandbox.mpesaBaseUrl() : mpesa.baseUrl(), pool, mpesa.timeout(), spans, MpesaRail.NAME),
          RailHttp.credential(mpesa.consumerKey(), sandboxed, SandboxServer.MPESA_CONSUMER_KEY),
          RailHttp.credential(mpesa.consumerSecret(), sandboxed, SandboxServer.MPESA_CONSUMER_SECRET),
          mpesa.shortcode(),
          RailHttp.credential(mpesa.passkey(), sandboxed, SandboxServer.MPESA_PASSKEY),
          callbackUrls, clock), mpesa.limits());
    } else {
      log.info("rail {} not configured (no base-url and no sandbox)", MpesaRail.NAME);
    }
    MobileMoneyRailProperties.MtnMomo momo = properties.mtnMomo();
    if (momo.enabled() && (!momo.baseUrl().isEmpty() || sandbox != null)) {
      boolean sandboxed = momo.baseUrl().isEmpty();
      ConnectionProvider pool = RailHttp.pool(MtnMomoRail.NAME, momo.maxConcurrentCalls(), momo.timeout());
      pools.add(pool);
      rails.put(new MtnMomoRail(RailHttp.webClient(sandboxed ? sandbox.mtnMomoBaseUrl() : momo.baseUrl(), pool, momo.timeout(), spans, MtnMomoRail.NAME),
          RailHttp.credential(momo.subscriptionKey(), sandboxed, SandboxServer.MOMO_SUBSCRIPTION_KEY),
          RailHttp.credential(momo.apiUser(), sandboxed, SandboxServer.MOMO_API_USER),
          RailHttp.credential(momo.apiKey(), sandboxed, SandboxServer.MOMO_API_KEY),
          momo.targetEnvironment(), callbackUrls, clock), momo.limits());
    } else {
      log.info("rail {} not configured (no base-url and no sandbox)", MtnMomoRail.NAME);
    }
    return new MobileMoneyRails(rails, pools);
  }

  /** The undecorated adapters with their limits. */
  Map<RailAdapter, RailLimits> rails() {
    return rails;
  }

  @Override
  public void close() {
    pools.forEach(ConnectionProvider::dispose);
  }
}
