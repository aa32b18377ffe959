package org.malipo.gateway.webhook;

import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;

/**
 * Which webhook URLs and peer addresses the gateway may call (server-side request forgery guard,
 * docs/adr/0022-webhook-secrets-and-urls.md).
 *
 * <p>Strict (every profile but {@code local} and {@code test}): {@code https} only, and no
 * loopback, private (RFC 1918, RFC 6598, RFC 4193), unspecified or multicast address. Relaxed
 * ({@code local}, {@code test}): {@code http} and loopback or private addresses too, for a
 * receiver on the developer's machine. Always refused: link-local addresses (169.254.0.0/16,
 * fe80::/10; cloud metadata services live there) and well-known metadata host names.
 *
 * <p>Checked twice: at registration on the URL text (IP literals and host names such as
 * {@code localhost}), and at delivery on every address DNS resolved, before connecting.
 */
final class EndpointUrlPolicy {

  /** Longest accepted URL, in characters. */
  static final int MAX_URL_LENGTH = 2048;

  private final boolean relaxed;

  /** @param relaxed true in the {@code local} and {@code test} profiles */
  EndpointUrlPolicy(boolean relaxed) {
    this.relaxed = relaxed;
  }

  /**
   * The URL, normalised, if it may be registered.
   *
   * @throws ApiProblem {@code 400 parameter_invalid} with {@code param: url}
   */
  URI validate(String url) {
    if (url == null || url.isBlank() || url.length() > MAX_URL_LENGTH) {
      throw refuse("url must be an absolute https URL of at most " + MAX_URL_LENGTH + " characters.");
    }
    URI uri;
    try {
      uri = new URI(url).normalize();
    } catch (URISyntaxException e) {
      throw refuse("url is not a valid URL.");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !(relaxed && scheme.equals("http"))) {
      throw refuse("url must use https.");
    }
    String host = uri.getHost();
    if (host == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
      throw refuse("url needs a host and may have neither user information nor a fragment.");
    }
    String bareHost = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    String lower = bareHost.toLowerCase(Locale.ROOT);
    if (lower.equals("metadata.google.internal") || lower.equals("metadata")) {
      throw refuse("url points to a cloud metadata service.");
    }
    if ((lower.equals("localhost") || lower.endsWith(".localhost")) && !relaxed) {
      throw refuse("url must not point to this machine.");
    }
    InetAddress literal = NetUtil.createInetAddressFromIpAddressString(bareHost);
    if (literal != null && !allowed(literal)) {
      throw refuse("url points to an address the gateway does not call.");
    }
    return uri;
  }

  /** Whether the gateway may connect to {@code address} (a resolved peer). */
  boolean allowed(InetAddress address) {
    if (address.isLinkLocalAddress() || address.isAnyLocalAddress() || address.isMulticastAddress()) {
      return false;
    }
    if (relaxed) {
      return true;
    }
    return !address.isLoopbackAddress() && !address.isSiteLocalAddress() && !isCarrierGradeNat(address)
        && !isUniqueLocalIpv6(address);
  }

  private static boolean isCarrierGradeNat(InetAddress address) {
    byte[] b = address.getAddress();
    return b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
  }

  private static boolean isUniqueLocalIpv6(InetAddress address) {
    return address instanceof Inet6Address && (address.getAddress()[0] & 0xfe) == 0xfc;
  }

  private static ApiProblem refuse(String detail) {
    return ApiProblem.param(ProblemCode.PARAMETER_INVALID, "url", detail);
  }
}
