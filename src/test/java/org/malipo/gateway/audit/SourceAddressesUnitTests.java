package org.malipo.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

/** Which address the audit log records: the peer, unless a trusted proxy forwarded the request. */
class SourceAddressesUnitTests {

  private final SourceAddresses untrusting = new SourceAddresses(List.of());
  private final SourceAddresses behindIngress = new SourceAddresses(List.of("10.0.0.0/8", "192.0.2.1"));

  private static MockServerWebExchange from(String peer, String... forwardedFor) {
    MockServerHttpRequest.BaseBuilder<?> request = MockServerHttpRequest.get("/v1/audit_events")
        .remoteAddress(new InetSocketAddress(peer, 40000));
    for (String header : forwardedFor) {
      request.header("X-Forwarded-For", header);
    }
    return MockServerWebExchange.from(request);
  }

  @Test
  void ignoresXForwardedForWhenNoProxyIsTrusted() {
    assertThat(untrusting.of(from("203.0.113.7", "198.51.100.1"))).isEqualTo("203.0.113.7");
  }

  @Test
  void ignoresXForwardedForFromAPeerThatIsNotATrustedProxy() {
    assertThat(behindIngress.of(from("203.0.113.7", "198.51.100.1"))).isEqualTo("203.0.113.7");
  }

  @Test
  void takesTheRightMostUntrustedHopBehindTrustedProxies() {
    // The client wrote 6.6.6.6 itself; the ingress appended the address it saw, 198.51.100.1.
    assertThat(behindIngress.of(from("10.1.2.3", "6.6.6.6, 198.51.100.1, 10.9.9.9"))).isEqualTo("198.51.100.1");
    assertThat(behindIngress.of(from("192.0.2.1", "6.6.6.6", "198.51.100.1"))).isEqualTo("198.51.100.1");
  }

  @Test
  void fallsBackToThePeerWhenTheHeaderIsMissingOrMalformed() {
    assertThat(behindIngress.of(from("10.1.2.3"))).isEqualTo("10.1.2.3");
    assertThat(behindIngress.of(from("10.1.2.3", "not-an-ip"))).isEqualTo("10.1.2.3");
  }

  @Test
  void refusesAMalformedTrustedProxy() {
    assertThatThrownBy(() -> new SourceAddresses(List.of("ingress.internal")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trusted-proxies");
  }
}
