package org.malipo.gateway.rail.card;

import io.netty.channel.ChannelOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.malipo.gateway.common.ClientSpans;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailLimits;
import org.malipo.gateway.sandbox.SandboxServer;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * The card rails built from {@link CardRailProperties}: one undecorated adapter per configured
 * acquirer, each with its own bounded HTTP connection pool, which {@link #close()} releases.
 *
 * <p>Callers wrap each adapter in {@code ResilientRail} with {@link #limits(String)}.
 */
public final class CardRails implements AutoCloseable {

  /**
   * Largest acquirer answer read into memory; an authorization answer is a few hundred bytes.
   */
  static final int MAX_ANSWER_BYTES = 64 * 1024;

  /**
   * A pooled connection idle longer than this is closed by us, before a server or load balancer
   * (commonly 60 s) closes it under a request, which would leave that request's outcome unknown.
   */
  static final Duration MAX_IDLE = Duration.ofSeconds(20);

  private final List<RailAdapter> adapters;
  private final Map<String, RailLimits> limits;
  private final List<ConnectionProvider> pools;

  private CardRails(List<RailAdapter> adapters, Map<String, RailLimits> limits, List<ConnectionProvider> pools) {
    this.adapters = List.copyOf(adapters);
    this.limits = Map.copyOf(limits);
    this.pools = List.copyOf(pools);
  }

  /**
   * Builds one adapter per configured acquirer.
   *
   * @param properties the acquirers
   * @param sandbox the in-process sandbox, or null when it is not running
   * @throws IllegalStateException naming the acquirer when its {@code base-url} is empty and there
   *     is no sandbox, or when it has a real {@code base-url} but no {@code api-key}
   */
  public static CardRails create(CardRailProperties properties, SandboxServer sandbox) {
    return create(properties, sandbox, ClientSpans.OFF);
  }

  /**
   * Builds one adapter per configured acquirer, each call a span when tracing is on.
   *
   * @param properties the acquirers
   * @param sandbox the in-process sandbox, or null when it is not running
   * @param spans the client spans of the acquirers' calls ({@link ClientSpans#OFF} for none)
   * @throws IllegalStateException as {@link #create(CardRailProperties, SandboxServer)}
   */
  public static CardRails create(CardRailProperties properties, SandboxServer sandbox, ClientSpans spans) {
    List<RailAdapter> adapters = new ArrayList<>();
    Map<String, RailLimits> limits = new LinkedHashMap<>();
    List<ConnectionProvider> pools = new ArrayList<>();
    JsonMapper json = AcquirerRail.json();
    try {
      properties.acquirers().forEach((name, acquirer) -> {
        String baseUrl = baseUrl(name, acquirer, sandbox);
        String apiKey = apiKey(name, acquirer, sandbox);
        ConnectionProvider pool = pool(name, acquirer);
        pools.add(pool);
        adapters.add(new AcquirerRail(name, new LinkedHashSet<>(acquirer.currencies()),
            webClient(baseUrl, acquirer, pool, spans, name), apiKey, json));
        limits.put(name, acquirer.limits());
      });
    } catch (RuntimeException e) {
      pools.forEach(ConnectionProvider::dispose);
      throw e;
    }
    return new CardRails(adapters, limits, pools);
  }

  /** The undecorated adapters, in configuration order. */
  public List<RailAdapter> adapters() {
    return adapters;
  }

  /**
   * The resilience limits of one rail.
   *
   * @throws NoSuchElementException for a name that is not configured
   */
  public RailLimits limits(String railName) {
    RailLimits result = limits.get(railName);
    if (result == null) {
      throw new NoSuchElementException("no card rail named " + railName);
    }
    return result;
  }

  /** Closes every acquirer's connection pool; blocks the calling thread until they are closed. */
  @Override
  public void close() {
    pools.forEach(ConnectionProvider::dispose);
  }

  private static String baseUrl(String name, CardRailProperties.Acquirer acquirer, SandboxServer sandbox) {
    if (!acquirer.usesSandbox()) {
      return acquirer.baseUrl();
    }
    if (sandbox == null) {
      throw new IllegalStateException("malipo.rails.card.acquirers." + name + ".base-url is empty, which means the "
          + "in-process sandbox acquirer, but the sandbox is off: set malipo.sandbox.enabled=true (local, test, "
          + "bench) or give the acquirer's real base-url and api-key");
    }
    return sandbox.baseUrl() + "/" + name;
  }

  private static String apiKey(String name, CardRailProperties.Acquirer acquirer, SandboxServer sandbox) {
    if (!acquirer.apiKey().isEmpty()) {
      return acquirer.apiKey();
    }
    if (acquirer.usesSandbox()) {
      return sandbox.acquirerApiKey();
    }
    throw new IllegalStateException("malipo.rails.card.acquirers." + name + ".api-key is required with base-url "
        + acquirer.baseUrl());
  }

  private static ConnectionProvider pool(String name, CardRailProperties.Acquirer acquirer) {
    return ConnectionProvider.builder("rail-" + name)
        .maxConnections(acquirer.maxConnections())
        .pendingAcquireMaxCount(acquirer.pendingAcquireMax())
        // Waiting for a connection is part of the call; past the call timeout the caller is gone.
        .pendingAcquireTimeout(acquirer.timeout())
        .maxIdleTime(MAX_IDLE)
        .build();
  }

  private static WebClient webClient(String baseUrl, CardRailProperties.Acquirer acquirer, ConnectionProvider pool,
      ClientSpans spans, String name) {
    HttpClient http = HttpClient.create(pool)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(acquirer.connectTimeout().toMillis()))
        // A backstop only: the time limiter (same duration) normally fires first.
        .responseTimeout(acquirer.timeout());
    return spans.applyTo(WebClient.builder(), name)
        .baseUrl(baseUrl)
        .clientConnector(new ReactorClientHttpConnector(http))
        .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(MAX_ANSWER_BYTES))
        .build();
  }
}
