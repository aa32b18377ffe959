package org.malipo.gateway.webhook;

import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;

/**
 * Which webhook URLs and peer addresses the gateway may call: the server-side request forgery
 * guard of docs/adr/0054-webhook-ssrf-guard.md.
 *
 * <p>Every address falls in one {@link AddressClass}. {@code PUBLIC} is always allowed.
 * {@code LOOPBACK} and {@code PRIVATE} (RFC 1918, RFC 6598, RFC 4193 and deprecated site-local),
 * and plain {@code http}, only when local targets are allowed ({@code
 * malipo.webhooks.allow-local-targets}, on in the {@code local} profile, refused elsewhere).
 * {@code LINK_LOCAL} (169.254.0.0/16, fe80::/10), {@code METADATA} (cloud instance metadata
 * services, some of which sit in private ranges), {@code UNSPECIFIED}, {@code MULTICAST} and
 * {@code RESERVED} are refused in every profile. IPv6 forms that embed an IPv4 address
 * (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4
 * address; Teredo is refused.
 *
 * <p>Checked twice: at registration on the URL text ({@link #validate}: scheme, IP literals,
 * names such as {@code localhost}), and at every delivery on each address DNS resolved, right
 * before connecting to exactly those addresses ({@link #allowed}, see {@link DeliveryDispatcher}).
 */
final class EndpointUrlPolicy {

  /** Longest accepted URL, in characters. */
  static final int MAX_URL_LENGTH = 2048;

  /** What an IP address is, as far as calling it is concerned. */
  enum AddressClass { PUBLIC, LOOPBACK, PRIVATE, LINK_LOCAL, METADATA, UNSPECIFIED, MULTICAST, RESERVED }

  private static final Set<String> METADATA_HOSTS = Set.of("metadata", "metadata.google.internal",
      "metadata.azure.internal", "instance-data", "instance-data.ec2.internal");
  /** Cloud metadata services outside 169.254.0.0/16: AWS IMDS over IPv6, Alibaba Cloud. */
  private static final Set<InetAddress> METADATA_ADDRESSES = Set.of(
      literal("fd00:ec2::254"), literal("100.100.100.200"));
  /** Host names made of digits, dots and hex markers: numeric IP spellings other than dotted quads. */
  private static final Pattern NUMERIC_HOST = Pattern.compile("[0-9a-fx.]+");

  private final boolean localTargetsAllowed;

  /** @param localTargetsAllowed true only in the {@code local} (and {@code test}) profile */
  EndpointUrlPolicy(boolean localTargetsAllowed) {
    this.localTargetsAllowed = localTargetsAllowed;
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
    if (!scheme.equals("https") && !(localTargetsAllowed && scheme.equals("http"))) {
      throw refuse("url must use https.");
    }
    String host = uri.getHost();
    if (host == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
      throw refuse("url needs a host and may have neither user information nor a fragment.");
    }
    String bareHost = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    String lower = bareHost.toLowerCase(Locale.ROOT);
    lower = lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    if (METADATA_HOSTS.contains(lower)) {
      throw refuse("url points to a cloud metadata service.");
    }
    if ((lower.equals("localhost") || lower.endsWith(".localhost")) && !localTargetsAllowed) {
      throw refuse("url must not point to this machine.");
    }
    InetAddress ip = NetUtil.createInetAddressFromIpAddressString(bareHost);
    if (ip == null && NUMERIC_HOST.matcher(lower).matches() && lower.chars().anyMatch(Character::isDigit)) {
      throw refuse("url must name its host or give a canonical IP address.");
    }
    if (ip != null && !allowed(ip)) {
      throw refuse("url points to an address the gateway does not call.");
    }
    return uri;
  }

  /** Whether the gateway may connect to {@code address} (a resolved peer or an IP literal). */
  boolean allowed(InetAddress address) {
    return switch (classify(address)) {
      case PUBLIC -> true;
      case LOOPBACK, PRIVATE -> localTargetsAllowed;
      case LINK_LOCAL, METADATA, UNSPECIFIED, MULTICAST, RESERVED -> false;
    };
  }

  /** The class of {@code address}; IPv6 forms embedding an IPv4 address take that address's class. */
  static AddressClass classify(InetAddress address) {
    if (METADATA_ADDRESSES.contains(address)) {
      return AddressClass.METADATA;
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      return classifyIpv4(b);
    }
    byte[] embedded = embeddedIpv4(b);
    if (embedded != null) {
      InetAddress inner = ipv4(embedded);
      return METADATA_ADDRESSES.contains(inner) ? AddressClass.METADATA : classifyIpv4(embedded);
    }
    return classifyIpv6(b);
  }

  private static AddressClass classifyIpv4(byte[] b) {
    int a0 = b[0] & 0xff;
    int a1 = b[1] & 0xff;
    if (a0 == 0) {
      return AddressClass.UNSPECIFIED; // 0.0.0.0/8: "this host"; Linux connects 0.0.0.0 to itself
    }
    if (a0 == 127) {
      return AddressClass.LOOPBACK;
    }
    if (a0 == 169 && a1 == 254) {
      return (b[2] & 0xff) == 169 && (b[3] & 0xff) == 254 ? AddressClass.METADATA : AddressClass.LINK_LOCAL;
    }
    if (a0 == 10 || (a0 == 172 && (a1 & 0xf0) == 16) || (a0 == 192 && a1 == 168) || (a0 == 100 && (a1 & 0xc0) == 64)) {
      return AddressClass.PRIVATE;
    }
    if (a0 >= 224 && a0 <= 239) {
      return AddressClass.MULTICAST;
    }
    if (a0 >= 240 || (a0 == 192 && a1 == 0 && (b[2] & 0xff) == 0) || (a0 == 198 && (a1 & 0xfe) == 18)) {
      return AddressClass.RESERVED; // 240/4 and broadcast, IETF protocol assignments, benchmarking
    }
    return AddressClass.PUBLIC;
  }

  private static AddressClass classifyIpv6(byte[] b) {
    if (isZero(b, 0, 16)) {
      return AddressClass.UNSPECIFIED;
    }
    if (isZero(b, 0, 15) && b[15] == 1) {
      return AddressClass.LOOPBACK;
    }
    int b0 = b[0] & 0xff;
    int b1 = b[1] & 0xff;
    if (b0 == 0xfe && (b1 & 0xc0) == 0x80) {
      return AddressClass.LINK_LOCAL; // fe80::/10
    }
    if (b0 == 0xfe && (b1 & 0xc0) == 0xc0 || (b0 & 0xfe) == 0xfc) {
      return AddressClass.PRIVATE; // fec0::/10 (deprecated site-local), fc00::/7 (unique local)
    }
    if (b0 == 0xff) {
      return AddressClass.MULTICAST;
    }
    if (b0 == 0x20 && b1 == 0x01 && b[2] == 0 && b[3] == 0) {
      return AddressClass.RESERVED; // Teredo 2001::/32: the IPv4 inside is obfuscated, so never called
    }
    if (b0 == 0x20 && b1 == 0x01 && (b[2] & 0xff) == 0x0d && (b[3] & 0xff) == 0xb8) {
      return AddressClass.RESERVED; // documentation 2001:db8::/32
    }
    if (b0 == 0x00 && b1 == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
      return AddressClass.RESERVED; // NAT64 local-use 64:ff9b:1::/48 and other forms not handled above
    }
    if (isZero(b, 0, 2)) {
      return AddressClass.RESERVED; // the rest of ::/16 (discard 100::/64 lies outside, below)
    }
    if (b0 == 0x01 && b1 == 0x00 && isZero(b, 2, 8)) {
      return AddressClass.RESERVED; // discard-only 100::/64
    }
    return AddressClass.PUBLIC;
  }

  /** The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 IPv6 address, or null. */
  private static byte[] embeddedIpv4(byte[] b) {
    boolean mapped = isZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    boolean compatible = isZero(b, 0, 12) && !isZero(b, 12, 15);
    boolean nat64 = b[0] == 0x00 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && isZero(b, 4, 12);
    if (mapped || compatible || nat64) {
      return Arrays.copyOfRange(b, 12, 16);
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
      return Arrays.copyOfRange(b, 2, 6); // 6to4 2002:AABB:CCDD::/48
    }
    return null;
  }

  private static boolean isZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static InetAddress ipv4(byte[] b) {
    try {
      return InetAddress.getByAddress(b); // no lookup: an address from bytes
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 bytes are an IPv4 address", e);
    }
  }

  private static InetAddress literal(String text) {
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(text);
    if (address == null) {
      throw new IllegalStateException("not an IP literal: " + text);
    }
    return address;
  }

  private static ApiProblem refuse(String detail) {
    return ApiProblem.param(ProblemCode.PARAMETER_INVALID, "url", detail);
  }
}
