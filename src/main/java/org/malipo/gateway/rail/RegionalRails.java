package org.malipo.gateway.rail;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.common.ClientSpans;
import org.malipo.gateway.rail.airtel.AirtelRail;
import org.malipo.gateway.rail.flutterwave.FlutterwaveRail;
import org.malipo.gateway.rail.orange.OrangeRail;
import org.malipo.gateway.rail.paystack.PaystackRail;
import org.malipo.gateway.sandbox.RegionalSimulators;
import org.malipo.gateway.sandbox.SandboxServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.resources.ConnectionProvider;

/**
 * Issue 22's rails built from {@link RegionalRailProperties}: Airtel Money, Orange Money,
 * Paystack, Flutterwave; undecorated adapters, each with its own bounded connection pool, which
 * {@link #close()} releases. A rail without a {@code base-url} uses the in-process sandbox (whose
 * app and dashboard settings, the callback URLs, it configures) and its test credentials; without
 * either it is left out. Registered after the M-Pesa and MoMo rails, Flutterwave last: with no
 * configured priority naming them, an operator's own rail comes first and Flutterwave is the
 * second route (docs/adr/0075-local-rails-by-currency.md).
 */
final class RegionalRails implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RegionalRails.class);

  private final Map<RailAdapter, RailLimits> rails;
  private final List<ConnectionProvider> pools;

  private RegionalRails(Map<RailAdapter, RailLimits> rails, List<ConnectionProvider> pools) {
    this.rails = rails;
    this.pools = pools;
  }

  static RegionalRails create(RegionalRailProperties properties, SandboxServer sandbox, CallbackUrls callbackUrls,
      Clock clock, ClientSpans spans) {
    Map<RailAdapter, RailLimits> rails = new LinkedHashMap<>();
    List<ConnectionProvider> pools = new ArrayList<>();
    if (callbackUrls == null) {
      log.info("no callback endpoints in this context: issue 22's rails not registered");
      return new RegionalRails(rails, pools);
    }
    RegionalRailProperties.Airtel airtel = properties.airtel();
    if (airtel.enabled() && (!airtel.baseUrl().isEmpty() || sandbox != null)) {
      boolean sandboxed = airtel.baseUrl().isEmpty();
      ConnectionProvider pool = RailHttp.pool(AirtelRail.NAME, airtel.maxConcurrentCalls(), airtel.timeout());
      pools.add(pool);
      if (sandboxed) {
        sandbox.regional().configureCallbackUrl(AirtelRail.NAME, () -> callbackUrls.railCallbackUrl(AirtelRail.NAME));
      }
      rails.put(new AirtelRail(RailHttp.webClient(sandboxed ? sandbox.baseUrl() + RegionalSimulators.AIRTEL_PATH : airtel.baseUrl(), pool, airtel.timeout(), spans, AirtelRail.NAME),
          RailHttp.credential(airtel.clientId(), sandboxed, RegionalSimulators.AIRTEL_CLIENT_ID),
          RailHttp.credential(airtel.clientSecret(), sandboxed, RegionalSimulators.AIRTEL_CLIENT_SECRET), clock), airtel.limits());
    } else {
      log.info("rail {} not configured (no base-url and no sandbox)", AirtelRail.NAME);
    }
    RegionalRailProperties.Orange orange = properties.orange();
    if (orange.enabled() && (!orange.baseUrl().isEmpty() || sandbox != null)) {
      boolean sandboxed = orange.baseUrl().isEmpty();
      ConnectionProvider pool = RailHttp.pool(OrangeRail.NAME, orange.maxConcurrentCalls(), orange.timeout());
      pools.add(pool);
      rails.put(new OrangeRail(RailHttp.webClient(sandboxed ? sandbox.baseUrl() + RegionalSimulators.ORANGE_PATH : orange.baseUrl(), pool, orange.timeout(), spans, OrangeRail.NAME),
          RailHttp.credential(orange.clientId(), sandboxed, RegionalSimulators.ORANGE_CLIENT_ID),
          RailHttp.credential(orange.clientSecret(), sandboxed, RegionalSimulators.ORANGE_CLIENT_SECRET),
          RailHttp.credential(orange.authToken(), sandboxed, RegionalSimulators.ORANGE_AUTH_TOKEN),
          RailHttp.credential(orange.channelUserMsisdn(), sandboxed, RegionalSimulators.ORANGE_CHANNEL_USER_MSISDN),
          RailHttp.credential(orange.pin(), sandboxed, RegionalSimulators.ORANGE_PIN), callbackUrls, clock), orange.limits());
    } else {
      log.info("rail {} not configured (no base-url and no sandbox)", OrangeRail.NAME);
    }
    RegionalRailProperties.Paystack paystack = properties.paystack();
    if (paystack.enabled() && (!paystack.baseUrl().isEmpty() || sandbox != null)) {
      boolean sandboxed = paystack.baseUrl().isEmpty();
      ConnectionProvider pool = RailHttp.pool(PaystackRail.NAME, paystack.maxConcurrentCalls(), paystack.timeout());
      pools.add(pool);
      if (sandboxed) {
        sandbox.regional().configureCallbackUrl(PaystackRail.NAME, () -> callbackUrls.railCallbackUrl(PaystackRail.NAME));
      }
      rails.put(new PaystackRail(RailHttp.webClient(sandboxed ? sandbox.baseUrl() + RegionalSimulators.PAYSTACK_PATH : paystack.baseUrl(), pool,
          paystack.timeout(), spans, PaystackRail.NAME), RailHttp.credential(paystack.secretKey(), sandboxed, RegionalSimulators.PAYSTACK_SECRET_KEY)), paystack.limits());
    } else {
      log.info("rail {} not configured (no base-url and no sandbox)", PaystackRail.NAME);
    }
    // Last: with no priority naming it, Flutterwave is the second route of the operators it serves.
    RegionalRailProperties.Flutterwave flutterwave = properties.flutterwave();
    if (flutterwave.enabled() && (!flutterwave.baseUrl().isEmpty() || sandbox != null)) {
      boolean sandboxed = flutterwave.baseUrl().isEmpty();
      ConnectionProvider pool = RailHttp.pool(FlutterwaveRail.NAME, flutterwave.maxConcurrentCalls(), flutterwave.timeout());
      pools.add(pool);
      if (sandboxed) {
        sandbox.regional().configureCallbackUrl(FlutterwaveRail.NAME, () -> callbackUrls.railCallbackUrl(FlutterwaveRail.NAME));
      }
      rails.put(new FlutterwaveRail(RailHttp.webClient(sandboxed ? sandbox.baseUrl() + RegionalSimulators.FLUTTERWAVE_PATH : flutterwave.baseUrl(), pool,
              flutterwave.timeout(), spans, FlutterwaveRail.NAME),
          RailHttp.credential(flutterwave.secretKey(), sandboxed, RegionalSimulators.FLUTTERWAVE_SECRET_KEY),
          RailHttp.credential(flutterwave.secretHash(), sandboxed, RegionalSimulators.FLUTTERWAVE_SECRET_HASH),
          RailHttp.credential(flutterwave.encryptionKey(), sandboxed, RegionalSimulators.FLUTTERWAVE_ENCRYPTION_KEY)), flutterwave.limits());
    } else {
      log.info("rail {} not configured (no base-url and no sandbox)", FlutterwaveRail.NAME);
    }
    return new RegionalRails(rails, pools);
  }

  /** The undecorated adapters with their limits, in registration order. */
  Map<RailAdapter, RailLimits> rails() {
    return rails;
  }

  @Override
  public void close() {
    pools.forEach(ConnectionProvider::dispose);
  }
}
