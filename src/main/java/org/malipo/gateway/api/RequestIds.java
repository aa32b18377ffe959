package org.malipo.gateway.api;

import org.malipo.gateway.common.Ids;
import org.springframework.web.server.ServerWebExchange;

/** The request id of an exchange: the caller's {@code X-Request-Id} when well formed, else ours. */
public final class RequestIds {

  /** Request and response header carrying the request id. */
  public static final String HEADER = "X-Request-Id";

  private static final String ATTRIBUTE = RequestIds.class.getName();
  private static final int MAX_LENGTH = 64;

  private RequestIds() {}

  /**
   * The id of this exchange, assigned on first use and stable afterwards.
   *
   * @param exchange the current exchange
   * @return the caller's id if it is 1-64 characters of {@code [A-Za-z0-9._-]}, else {@code req_…}
   */
  public static String of(ServerWebExchange exchange) {
    String existing = exchange.getAttribute(ATTRIBUTE);
    if (existing != null) {
      return existing;
    }
    String offered = exchange.getRequest().getHeaders().getFirst(HEADER);
    String id = isWellFormed(offered) ? offered : Ids.next("req");
    exchange.getAttributes().put(ATTRIBUTE, id);
    return id;
  }

  private static boolean isWellFormed(String candidate) {
    if (candidate == null || candidate.isEmpty() || candidate.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < candidate.length(); i++) {
      char c = candidate.charAt(i);
      boolean ok = Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
