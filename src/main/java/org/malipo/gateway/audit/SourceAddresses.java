package org.malipo.gateway.audit;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

/**
 * The caller's IP address as the audit log records it. By default the TCP peer's address:
 * {@code X-Forwarded-For} is only believed when the peer is one of the configured trusted proxies
 * ({@code malipo.audit.trusted-proxies}, CIDRs such as {@code 10.0.0.0/8}); then the right-most
 * address of that header that is not itself a trusted proxy is the caller (anything left of it
 * was written by the client and proves nothing).
 */
@Component
public final class SourceAddresses {

  private final List<IpSubnetFilterRule> trusted;

  SourceAddresses(@Value("${malipo.audit.trusted-proxies:}") List<String> trustedProxies) {
    List<IpSubnetFilterRule> rules = new ArrayList<>();
    for (String cidr : trustedProxies) {
      if (cidr.isBlank()) {
        continue;
      }
      String[] parts = cidr.strip().split("/");
      InetAddress address = NetUtil.createInetAddressFromIpAddressString(parts[0]);
      if (address == null || parts.length > 2) {
        throw new IllegalArgumentException("malipo.audit.trusted-proxies: not an IP address or CIDR: " + cidr);
      }
      int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : address.getAddress().length * 8;
      rules.add(new IpSubnetFilterRule(address, bits, IpFilterRuleType.ACCEPT));
    }
    this.trusted = List.copyOf(rules);
  }

  /**
   * The caller's address.
   *
   * @return a textual IP address, or {@code null} when the peer is unknown
   */
  public String of(ServerWebExchange exchange) {
    InetSocketAddress peer = exchange.getRequest().getRemoteAddress();
    String peerAddress = peer == null || peer.getAddress() == null ? null : peer.getAddress().getHostAddress();
    if (peer == null || !isTrusted(peer.getAddress())) {
      return peerAddress;
    }
    List<String> forwarded = exchange.getRequest().getHeaders().getOrEmpty("X-Forwarded-For");
    List<String> hops = new ArrayList<>();
    for (String header : forwarded) {
      for (String hop : header.split(",")) {
        hops.add(hop.strip());
      }
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      InetAddress hop = NetUtil.createInetAddressFromIpAddressString(hops.get(i));
      if (hop == null) {
        return peerAddress; // a malformed hop: believe nothing further left
      }
      if (!isTrusted(hop)) {
        return hop.getHostAddress();
      }
    }
    return peerAddress;
  }

  private boolean isTrusted(InetAddress address) {
    if (address == null) {
      return false;
    }
    InetSocketAddress socket = new InetSocketAddress(address, 0);
    for (IpSubnetFilterRule rule : trusted) {
      if (rule.matches(socket)) {
        return true;
      }
    }
    return false;
  }
}
