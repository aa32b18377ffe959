package org.malipo.gateway.rail;

import io.netty.channel.ChannelOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.rail.mpesa.MpesaRail;
import org.malipo.gateway.rail.mtnmomo.MtnMomoRail;
import org.malipo.gateway.sandbox.SandboxServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The mobile-money rails built from {@link MobileMoneyRailProperties}: undecorated adapters, each
 * with its own bounded connection pool, which {@link #close()} releases. A rail without a
 * {@code base-url} uses the in-process sandbox and its test credentials; without either it is
 * left out (and payments for its operator fail with {@code provider_unavailable}).
 */
final class MobileMoneyRails implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MobileMoneyRails.class);
  private static final int MAX_ANSWER_BYTES = 64 * 1024;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration MAX_IDLE = Duration.ofSeconds(20);

  private final Map<RailAdapter, RailLimits> rails;
  private final List<ConnectionProvider> pools;

  private MobileMoneyRails(Map<RailAdapter, RailLimits> rails, List<ConnectionProvider> pools) {
    this.rails = rails;
    this.pools = pools;
  }

  static MobileMoneyRails create(MobileMoneyRailProperties properties, SandboxServer sandbox, CallbackUrls callbackUrls,
      Clock clock) {
    Map<RailAdapter, RailLimits> rails = new LinkedHashMap<>();
    List<ConnectionProvider> pools = new ArrayList<>();
    if (callbackUrls == null) {
      log.info("no callback endpoints in this context: mobile-money rails not registered");
      return new MobileMoneyRails(rails, pools);
    }
    MobileMoneyRailProperties.Mpesa mpesa = properties.mpesa();
    if (mpesa.enabled() && (!mpesa.baseUrl().isEmpty() || sandbox != null)) {
      boolean sandboxed = mpesa.baseUrl().isEmpty();
      ConnectionProvider pool = pool(MpesaRail.NAME, mpesa.maxConcurrentCalls(), mpesa.timeout());
      pools.add(pool);
      rails.put(new MpesaRail(webClient(sandboxed ? sandbox.mpesaBaseUrl() : mpesa.baseUrl(), pool, mpesa.timeout()),
          or(mpesa.consumerKey(), sandboxed, SandboxServer.MPESA_CONSUMER_KEY),
          or(mpesa.consumerSecret(), sandboxed, SandboxServer.MPESA_CONSUMER_SECRET),
          mpesa.shortcode(),
          or(mpesa.passkey(), sandboxed, SandboxServer.MPESA_PASSKEY),
          callbackUrls, clock), mpesa.limits());
    } else {
      log.info("rail {} not configured (no base-url and no sandbox)", MpesaRail.NAME);
    }
    MobileMoneyRailProperties.MtnMomo momo = properties.mtnMomo();
    if (momo.enabled() && (!momo.baseUrl().isEmpty() || sandbox != null)) {
      boolean sandboxed = momo.baseUrl().isEmpty();
      ConnectionProvider pool = pool(MtnMomoRail.NAME, momo.maxConcurrentCalls(), momo.timeout());
      pools.add(pool);
      rails.put(new MtnMomoRail(webClient(sandboxed ? sandbox.mtnMomoBaseUrl() : momo.baseUrl(), pool, momo.timeout()),
          or(momo.subscriptionKey(), sandboxed, SandboxServer.MOMO_SUBSCRIPTION_KEY),
          or(momo.apiUser(), sandboxed, SandboxServer.MOMO_API_USER),
          or(momo.apiKey(), sandboxed, SandboxServer.MOMO_API_KEY),
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

  private static String or(String configured, boolean sandboxed, String sandboxValue) {
    if (!configured.isEmpty()) {
      return configured;
    }
    if (sandboxed) {
      return sandboxValue;
    }
    throw new IllegalStateException("a mobile-money rail with a real base-url needs all its credentials");
  }

  private static ConnectionProvider pool(String name, int maxConnections, Duration timeout) {
    return ConnectionProvider.builder("rail-" + name)
        .maxConnections(maxConnections)
        .pendingAcquireMaxCount(maxConnections * 4)
        .pendingAcquireTimeout(timeout)
        .maxIdleTime(MAX_IDLE)
        .build();
  }

  private static WebClient webClient(String baseUrl, ConnectionProvider pool, Duration timeout) {
    HttpClient http = HttpClient.create(pool)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(CONNECT_TIMEOUT.toMillis()))
        .responseTimeout(timeout);
    return WebClient.builder()
        .baseUrl(baseUrl)
        .clientConnector(new ReactorClientHttpConnector(http))
        .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(MAX_ANSWER_BYTES))
        .build();
  }
}
