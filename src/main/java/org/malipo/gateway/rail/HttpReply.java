package org.malipo.gateway.rail;

import java.net.ConnectException;
import java.net.UnknownHostException;
import javax.net.ssl.SSLHandshakeException;
import org.springframework.web.reactive.function.client.ClientResponse;
import reactor.core.publisher.Mono;
import reactor.pool.PoolAcquirePendingLimitException;
import reactor.pool.PoolAcquireTimeoutException;

/**
 * One HTTP answer of a rail, read whole (bounded by the client's in-memory limit), so adapters map
 * status and body in one pure function.
 *
 * @param status HTTP status code
 * @param body the body, empty when none
 */
public record HttpReply(int status, byte[] body) {

  private static final byte[] NONE = new byte[0];

  /** Reads a WebClient response into a reply. */
  public static Mono<HttpReply> read(ClientResponse response) {
    int status = response.statusCode().value();
    return response.bodyToMono(byte[].class).defaultIfEmpty(NONE).map(body -> new HttpReply(status, body));
  }

  /**
   * Whether the request surely never reached the rail: no connection was made (refused, connect
   * timeout, unknown host, TLS handshake) or none was free in the pool.
   */
  public static boolean neverSent(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof ConnectException
          || cause instanceof UnknownHostException
          || cause instanceof SSLHandshakeException
          || cause instanceof PoolAcquirePendingLimitException
          || cause instanceof PoolAcquireTimeoutException) {
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }
}
