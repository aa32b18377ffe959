package org.malipo.gateway.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.webhook.EndpointUrlPolicy.AddressClass;
import org.springframework.mock.env.MockEnvironment;

/**
 * Which webhook URLs and resolved addresses the gateway calls (ADR 0054): in production (no local
 * targets) and in the local profile.
 */
class EndpointUrlPolicyUnitTests {

  private final EndpointUrlPolicy strict = new EndpointUrlPolicy(false);
  private final EndpointUrlPolicy relaxed = new EndpointUrlPolicy(true);

  private static void assertRefused(EndpointUrlPolicy policy, String url) {
    assertThatThrownBy(() -> policy.validate(url)).as(url).isInstanceOf(ApiProblem.class)
        .satisfies(e -> assertThat(((ApiProblem) e).param()).isEqualTo("url"));
  }

  private static InetAddress ip(String text) {
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(text);
    assertThat(address).as(text).isNotNull();
    return address;
  }

  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource({
      "93.184.216.34, PUBLIC",
      "2606:2800:220:1:248:1893:25c8:1946, PUBLIC",
      "127.0.0.1, LOOPBACK",
      "127.255.255.254, LOOPBACK",
      "::1, LOOPBACK",
      "10.1.2.3, PRIVATE",
      "172.16.0.5, PRIVATE",
      "172.31.255.255, PRIVATE",
      "192.168.1.1, PRIVATE",
      "100.64.0.1, PRIVATE",
      "fd00::1, PRIVATE",
      "fc00::1, PRIVATE",
      "fec0::1, PRIVATE",
      "169.254.1.1, LINK_LOCAL",
      "fe80::1, LINK_LOCAL",
      "febf::1, LINK_LOCAL",
      "169.254.169.254, METADATA",
      "fd00:ec2::254, METADATA",
      "100.100.100.200, METADATA",
      "0.0.0.0, UNSPECIFIED",
      "0.1.2.3, UNSPECIFIED",
      "::, UNSPECIFIED",
      "224.0.0.1, MULTICAST",
      "239.255.255.250, MULTICAST",
      "ff02::1, MULTICAST",
      "255.255.255.255, RESERVED",
      "240.0.0.1, RESERVED",
      "198.18.0.1, RESERVED",
      "2001:db8::1, RESERVED",
      "2001:0:4136:e378:8000:63bf:3fff:fdd2, RESERVED",
      // IPv6 spellings of IPv4 addresses take the IPv4 address's class.
      "::ffff:127.0.0.1, LOOPBACK",
      "::ffff:169.254.169.254, METADATA",
      "::ffff:10.0.0.1, PRIVATE",
      "::127.0.0.1, LOOPBACK",
      "::169.254.169.254, METADATA",
      "64:ff9b::a9fe:a9fe, METADATA",
      "64:ff9b::7f00:1, LOOPBACK",
      "2002:7f00:1::1, LOOPBACK",
      "2002:a9fe:a9fe::1, METADATA",
      "2002:5db8:d822::1, PUBLIC",
  })
  void classifiesEveryAddressFamilyAndRange(String address, AddressClass expected) {
    assertThat(EndpointUrlPolicy.classify(ip(address))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}: production {1}, local {2}")
  @CsvSource({
      "93.184.216.34, true, true",
      "127.0.0.1, false, true",
      "::1, false, true",
      "::ffff:127.0.0.1, false, true",
      "10.1.2.3, false, true",
      "fd00::1, false, true",
      "169.254.169.254, false, false",
      "169.254.1.1, false, false",
      "fe80::1, false, false",
      "::ffff:169.254.169.254, false, false",
      "fd00:ec2::254, false, false",
      "0.0.0.0, false, false",
      "::, false, false",
      "224.0.0.1, false, false",
      "ff02::1, false, false",
      "255.255.255.255, false, false",
  })
  void connectsOnlyToPublicAddressesAndLocalOnesOnlyInTheLocalProfile(String address, boolean production,
      boolean local) {
    assertThat(strict.allowed(ip(address))).as("production").isEqualTo(production);
    assertThat(relaxed.allowed(ip(address))).as("local").isEqualTo(local);
  }

  @Test
  void productionAcceptsOnlyPublicHttps() {
    assertThat(strict.validate("https://merchant.example/hooks?x=1").getHost()).isEqualTo("merchant.example");
    assertRefused(strict, "http://merchant.example/hooks");
    assertRefused(strict, "https://localhost/hooks");
    assertRefused(strict, "https://LOCALHOST./hooks");
    assertRefused(strict, "https://api.localhost/hooks");
    assertRefused(strict, "https://127.0.0.1/hooks");
    assertRefused(strict, "https://10.1.2.3/hooks");
    assertRefused(strict, "https://192.168.1.1/hooks");
    assertRefused(strict, "https://[::1]/hooks");
    assertRefused(strict, "https://[::ffff:127.0.0.1]/hooks");
    assertRefused(strict, "https://[fd00::1]/hooks");
    assertRefused(strict, "https://0.0.0.0/hooks");
    assertRefused(strict, "https://[::]/hooks");
    assertRefused(strict, "https://224.0.0.1/hooks");
  }

  @Test
  void numericHostSpellingsOtherThanDottedQuadsAreRefused() {
    for (EndpointUrlPolicy policy : new EndpointUrlPolicy[] {strict, relaxed}) {
      assertRefused(policy, "https://2130706433/hooks");
      assertRefused(policy, "https://0x7f000001/hooks");
      assertRefused(policy, "https://0x7f.0.0.1/hooks");
      assertRefused(policy, "https://017700000001/hooks");
    }
  }

  @Test
  void theLocalProfileAllowsHttpAndLoopbackForReceiversOnTheDevelopersMachine() {
    assertThat(relaxed.validate("http://127.0.0.1:8089/hooks").getPort()).isEqualTo(8089);
    assertThat(relaxed.validate("http://localhost/hooks").getHost()).isEqualTo("localhost");
    assertThat(relaxed.validate("http://[::1]:8089/hooks").getPort()).isEqualTo(8089);
    assertThat(relaxed.validate("http://192.168.1.20/hooks").getHost()).isEqualTo("192.168.1.20");
  }

  @Test
  void linkLocalAndMetadataAreRefusedInEveryProfile() {
    for (EndpointUrlPolicy policy : new EndpointUrlPolicy[] {strict, relaxed}) {
      assertRefused(policy, "http://169.254.169.254/latest/meta-data");
      assertRefused(policy, "https://169.254.1.1/hooks");
      assertRefused(policy, "https://[fe80::1]/hooks");
      assertRefused(policy, "https://[::ffff:169.254.169.254]/hooks");
      assertRefused(policy, "https://[fd00:ec2::254]/latest/meta-data");
      assertRefused(policy, "http://100.100.100.200/latest/meta-data");
      assertRefused(policy, "http://metadata.google.internal/computeMetadata/v1/");
      assertRefused(policy, "http://metadata.google.internal./computeMetadata/v1/");
      assertRefused(policy, "http://metadata/computeMetadata/v1/");
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
  void localTargetsCannotBeSwitchedOnOutsideTheLocalProfile() {
    MockEnvironment production = new MockEnvironment().withProperty("malipo.webhooks.allow-local-targets", "true");
    production.setActiveProfiles("production");
    MockEnvironment local = new MockEnvironment().withProperty("malipo.webhooks.allow-local-targets", "true");
    local.setActiveProfiles("local");

    assertThatThrownBy(() -> new WebhookConfiguration().endpointUrlPolicy(production))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("local profile");
    assertThat(new WebhookConfiguration().endpointUrlPolicy(local).allowed(ip("127.0.0.1"))).isTrue();
    assertThat(new WebhookConfiguration().endpointUrlPolicy(new MockEnvironment()).allowed(ip("127.0.0.1")))
        .as("off by default").isFalse();
  }
}
