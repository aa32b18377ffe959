package org.malipo.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.NetUtil;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.ApiProblem;

/** Which webhook URLs and resolved addresses the gateway calls, strict and relaxed. */
class EndpointUrlPolicyUnitTests {

  private final EndpointUrlPolicy strict = new EndpointUrlPolicy(false);
  private final EndpointUrlPolicy relaxed = new EndpointUrlPolicy(true);

  private static void assertRefused(EndpointUrlPolicy policy, String url) {
    assertThatThrownBy(() -> policy.validate(url)).as(url).isInstanceOf(ApiProblem.class)
        .satisfies(e -> assertThat(((ApiProblem) e).param()).isEqualTo("url"));
  }

  @Test
  void strictPolicyAcceptsOnlyPublicHttps() {
    assertThat(strict.validate("https://merchant.example/hooks?x=1").getHost()).isEqualTo("merchant.example");
    assertRefused(strict, "http://merchant.example/hooks");
    assertRefused(strict, "https://localhost/hooks");
    assertRefused(strict, "https://127.0.0.1/hooks");
    assertRefused(strict, "https://10.1.2.3/hooks");
    assertRefused(strict, "https://192.168.1.1/hooks");
    assertRefused(strict, "https://[::1]/hooks");
    assertRefused(strict, "https://0.0.0.0/hooks");
  }

  @Test
  void relaxedPolicyAllowsHttpAndLoopbackForLocalReceivers() {
    assertThat(relaxed.validate("http://127.0.0.1:8089/hooks").getPort()).isEqualTo(8089);
    assertThat(relaxed.validate("http://localhost/hooks").getHost()).isEqualTo("localhost");
  }

  @Test
  void linkLocalAndMetadataAreRefusedInEveryProfile() {
    for (EndpointUrlPolicy policy : new EndpointUrlPolicy[] {strict, relaxed}) {
      assertRefused(policy, "http://169.254.169.254/latest/meta-data");
      assertRefused(policy, "https://169.254.1.1/hooks");
      assertRefused(policy, "https://[fe80::1]/hooks");
      assertRefused(policy, "http://metadata.google.internal/computeMetadata/v1/");
    }
  }

  @Test
  void malformedUrlsAreRefused() {
    assertRefused(relaxed, null);
    assertRefused(relaxed, "");
    assertRefused(relaxed, "not a url");
    assertRefused(relaxed, "ftp://example.com/x");
    assertRefused(relaxed, "https://user:pass@example.com/x");
    assertRefused(relaxed, "https://example.com/x#frag");
    assertRefused(relaxed, "https://example.com/" + "a".repeat(EndpointUrlPolicy.MAX_URL_LENGTH));
  }

  @Test
  void resolvedAddressesAreCheckedAgainAtDelivery() {
    assertThat(strict.allowed(NetUtil.createInetAddressFromIpAddressString("93.184.216.34"))).isTrue();
    assertThat(strict.allowed(NetUtil.createInetAddressFromIpAddressString("127.0.0.1"))).isFalse();
    assertThat(strict.allowed(NetUtil.createInetAddressFromIpAddressString("172.16.0.5"))).isFalse();
    assertThat(strict.allowed(NetUtil.createInetAddressFromIpAddressString("100.64.0.1"))).isFalse();
    assertThat(strict.allowed(NetUtil.createInetAddressFromIpAddressString("fd00::1"))).isFalse();
    assertThat(relaxed.allowed(NetUtil.createInetAddressFromIpAddressString("127.0.0.1"))).isTrue();
    assertThat(relaxed.allowed(NetUtil.createInetAddressFromIpAddressString("169.254.169.254"))).isFalse();
    assertThat(relaxed.allowed(NetUtil.createInetAddressFromIpAddressString("::ffff:169.254.169.254"))).isFalse();
  }
}
