package org.malipo.gateway.rail;

import io.netty.channel.ChannelOption;
import java.time.Duration;
import org.malipo.gateway.common.ClientSpans;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The HTTP plumbing every mobile-money and regional rail shares ({@link MobileMoneyRails},
 * {@link RegionalRails}): a bounded connection pool per rail, a WebClient with a connect timeout,
 * a response timeout and a cap on the answer's size, and the rule for credentials.
 */
final class RailHttp {

  /** Largest rail answer read into memory; the rails' answers are a few KiB. */
  static final int MAX_ANSWER_BYTES = 64 * 1024;
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
  /** Shorter than the rails' own keep-alive, so the pool never hands out a connection they closed. */
  static final Duration MAX_IDLE = Duration.ofSeconds(20);

  private RailHttp() {
  }

  /**
   * A rail's pool: at most {@code maxConnections}, four times as many callers waiting at most
   * {@code timeout} for one.
   */
  static ConnectionProvider pool(String rail, int maxConnections, Duration timeout) {
    return ConnectionProvider.builder("rail-" + rail)
        .maxConnections(maxConnections)
        .pendingAcquireMaxCount(maxConnections * 4)
        .pendingAcquireTimeout(timeout)
        .maxIdleTime(MAX_IDLE)
        .build();
  }

  /**
   * A client of {@code baseUrl} over {@code pool}, each answer within {@code timeout}, each call a
   * span of {@code rail} when tracing is on ({@link ClientSpans}).
   */
  static WebClient webClient(String baseUrl, ConnectionProvider pool, Duration timeout, ClientSpans spans, String rail) {
    HttpClient http = HttpClient.create(pool)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(CONNECT_TIMEOUT.toMillis()))
        .responseTimeout(timeout);
    return spans.applyTo(WebClient.builder(), rail)
        .baseUrl(baseUrl)
        .clientConnector(new ReactorClientHttpConnector(http))
        .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(MAX_ANSWER_BYTES))
        .build();
  }

  /**
   * The configured credential; on the sandbox (no base-url) the sandbox's own when none is set.
   *
   * @throws IllegalStateException when a rail with a real base-url lacks it
   */
  static String credential(String configured, boolean sandboxed, String sandboxValue) {
    if (!configured.isEmpty()) {
      return configured;
    }
    if (sandboxed) {
      return sandboxValue;
    }
    throw new IllegalStateException("a rail with a real base-url needs all its credentials (malipo.rails.*)");
  }
}
