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
   * Translates a transport error of one rail call, once, at the adapter edge (ADR 0003): a request
   * that surely never left ({@link #neverSent}) is {@link RailException#notCharged}; anything else
   * (a reset or premature close after the request was sent, an answer that could not be read, a
   * response timeout) is {@link RailException#mayHaveCharged}, because the rail may have acted on
   * it. A {@link RailException} passes unchanged. Only class names are quoted: a foreign message
   * could quote the request.
   *
   * @param call names the call in the message, e.g. {@code "acquirer_a: authorization"}
   * @param error the error the HTTP client signalled
   * @return the error to signal instead
   */
  public static RailException transportError(String call, Throwable error) {
    if (error instanceof RailException railException) {
      return railException;
    }
    String what = " (" + rootCause(error).getClass().getSimpleName() + ")";
    return neverSent(error)
        ? RailException.notCharged(call + " not sent" + what, error)
        : RailException.mayHaveCharged(call + " sent, but no answer was read" + what, error);
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

  /**
   * A rail's own text (a message, a description) as quoted in our messages and failures: at most
   * {@code max} characters, then "…"; empty for none. Never more, so a rail cannot fill our logs.
   */
  public static String clip(String value, int max) {
    return value == null ? "" : value.length() <= max ? value : value.substring(0, max) + "…";
  }

  /** The innermost cause, at most 32 levels down (a cause chain can loop). */
  private static Throwable rootCause(Throwable error) {
    Throwable cause = error;
    for (int depth = 0; depth < 32 && cause.getCause() != null && cause.getCause() != cause; depth++) {
      cause = cause.getCause();
    }
    return cause;
  }
}
