package org.malipo.gateway.webhook;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.netty.resolver.AbstractAddressResolver;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.resources.ConnectionProvider;

/**
 * The delivery client's address check (ADR 0054), against a WireMock receiver on 127.0.0.1 and a
 * stub DNS: the check applies to what the name resolves to at delivery time, to IP literals too,
 * and the connection goes only to an address that passed it.
 */
class DeliverySsrfGuardTests {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static WireMockServer receiver;

  private final EndpointUrlPolicy production = new EndpointUrlPolicy(false);
  private final EndpointUrlPolicy local = new EndpointUrlPolicy(true);

  @BeforeAll
  static void startReceiver() {
    receiver = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    receiver.start();
    receiver.stubFor(post(anyUrl()).willReturn(ok()));
  }

  @AfterAll
  static void stopReceiver() {
    receiver.stop();
  }

  @BeforeEach
  void forgetRequests() {
    receiver.resetRequests();
  }

  @Test
  void aNameAcceptedAtRegistrationThatResolvesToLoopbackAtDeliveryIsNotCalled() {
    // DNS rebinding: the name passes the registration check, then answers with 127.0.0.1.
    assertThat(production.validate("https://rebind.example/hooks").getHost()).isEqualTo("rebind.example");
    Map<String, List<String>> dns = Map.of("rebind.example", List.of("127.0.0.1"));

    assertThatThrownBy(() -> deliver(production, dns, "http://rebind.example:" + receiver.port() + "/hooks"))
        .hasRootCauseInstanceOf(java.net.UnknownHostException.class); // the check left no address
    assertThat(receiver.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  @Test
  void theSameNameIsCalledWhereLocalTargetsAreAllowed() {
    Map<String, List<String>> dns = Map.of("rebind.example", List.of("127.0.0.1"));

    assertThat(deliver(local, dns, "http://rebind.example:" + receiver.port() + "/hooks")).isEqualTo(200);
    assertThat(receiver.findAll(anyRequestedFor(anyUrl()))).hasSize(1);
  }

  @Test
  void anIpLiteralIsCheckedAtDeliveryToo() {
    assertThatThrownBy(() -> deliver(production, Map.of(), "http://127.0.0.1:" + receiver.port() + "/hooks"))
        .hasRootCauseInstanceOf(java.net.UnknownHostException.class); // the check left no address
    assertThat(receiver.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  @Test
  void onlyTheAllowedOfSeveralResolvedAddressesAreHandedToTheConnector() {
    List<InetSocketAddress> resolved = List.of(
        new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString("169.254.169.254"), 80),
        new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString("127.0.0.1"), 80),
        new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString("10.0.0.7"), 80),
        InetSocketAddress.createUnresolved("not-resolved.example", 80));

    assertThat(DeliveryDispatcher.allowedOnly(local, resolved)).extracting(a -> ((InetSocketAddress) a).getAddress()
        .getHostAddress()).containsExactly("127.0.0.1", "10.0.0.7");
    assertThat(DeliveryDispatcher.allowedOnly(production, resolved)).isEmpty();
  }

  @Test
  void aNameResolvingOnlyToLinkLocalIsNotCalledEvenLocally() {
    Map<String, List<String>> dns = Map.of("metadata.example", List.of("169.254.169.254", "::ffff:169.254.169.254"));

    assertThatThrownBy(() -> deliver(local, dns, "http://metadata.example:" + receiver.port() + "/latest/meta-data"))
        .hasRootCauseInstanceOf(java.net.UnknownHostException.class); // the check left no address
  }

  /** POSTs through the delivery client with the stub DNS; the status, or the error thrown. */
  private static int deliver(EndpointUrlPolicy policy, Map<String, List<String>> dns, String url) {
    return DeliveryDispatcher.httpClient(ConnectionProvider.newConnection(), TIMEOUT, policy)
        .resolver(stubDns(dns))
        .post()
        .uri(url)
        .send(ByteBufFlux.fromString(Mono.just("{}")))
        .response()
        .map(response -> response.status().code())
        .block(TIMEOUT.multipliedBy(2));
  }

  /** A resolver that knows only {@code answers}, in their order. */
  private static AddressResolverGroup<InetSocketAddress> stubDns(Map<String, List<String>> answers) {
    return new AddressResolverGroup<>() {
      @Override
      protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new AbstractAddressResolver<>(executor, InetSocketAddress.class) {
          @Override
          protected boolean doIsResolved(InetSocketAddress address) {
            return !address.isUnresolved();
          }

          @Override
          protected void doResolve(InetSocketAddress address, Promise<InetSocketAddress> promise) {
            List<InetSocketAddress> all = lookUp(address);
            if (all.isEmpty()) {
              promise.setFailure(new java.net.UnknownHostException(address.getHostString()));
            } else {
              promise.setSuccess(all.getFirst());
            }
          }

          @Override
          protected void doResolveAll(InetSocketAddress address, Promise<List<InetSocketAddress>> promise) {
            List<InetSocketAddress> all = lookUp(address);
            if (all.isEmpty()) {
              promise.setFailure(new java.net.UnknownHostException(address.getHostString()));
            } else {
              promise.setSuccess(all);
            }
          }

          private List<InetSocketAddress> lookUp(InetSocketAddress address) {
            return answers.getOrDefault(address.getHostString(), List.of()).stream()
                .map(ip -> {
                  InetAddress resolved = NetUtil.createInetAddressFromIpAddressString(ip);
                  return new InetSocketAddress(resolved, address.getPort());
                })
                .toList();
          }
        };
      }
    };
  }
}
