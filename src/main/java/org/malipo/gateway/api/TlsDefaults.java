package org.malipo.gateway.api;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.ssl.SslOptions;
import org.springframework.boot.web.server.Http2;
import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;

/**
 * The server's transport when TLS is configured ({@code server.ssl.bundle}, Spring Boot SSL
 * bundles): TLS 1.3 only unless {@code server.ssl.enabled-protocols} says otherwise, and HTTP/2
 * (negotiated by ALPN, HTTP/1.1 still offered). Without TLS, HTTP/2 stays off whatever
 * {@code server.http2.enabled} says: Netty refuses cleartext h2c upgrade requests that carry a
 * body, so h2c would break plain HTTP/1.1 clients that offer it. docs/adr/0052-tls-1-3-and-http-2.md.
 */
@Component
final class TlsDefaults implements WebServerFactoryCustomizer<NettyReactiveWebServerFactory>, Ordered {

  /** The only protocol offered when none is configured. */
  static final String TLS_1_3 = "TLSv1.3";

  @Override
  public void customize(NettyReactiveWebServerFactory factory) {
    Ssl ssl = factory.getSsl();
    boolean tls = Ssl.isEnabled(ssl) && (ssl.getBundle() != null || ssl.getServerNameBundles().size() > 0);
    if (tls && ssl.getEnabledProtocols() == null) {
      ssl.setEnabledProtocols(new String[] {TLS_1_3});
      // A named bundle brings its own options (spring.ssl.bundle.*.options), which is what the
      // server reads; default its protocols too unless the bundle names them.
      if (factory.getSslBundles() != null) {
        factory.setSslBundles(new Tls13ByDefault(factory.getSslBundles()));
      }
    }
    Http2 http2 = new Http2();
    http2.setEnabled(tls);
    factory.setHttp2(http2);
  }

  /** The registry with every bundle that names no protocols limited to TLS 1.3. */
  private record Tls13ByDefault(SslBundles delegate) implements SslBundles {

    @Override
    public SslBundle getBundle(String name) {
      return restrict(delegate.getBundle(name));
    }

    @Override
    public void addBundleUpdateHandler(String name, Consumer<SslBundle> handler) {
      delegate.addBundleUpdateHandler(name, bundle -> handler.accept(restrict(bundle)));
    }

    @Override
    public void addBundleRegisterHandler(BiConsumer<String, SslBundle> handler) {
      delegate.addBundleRegisterHandler((name, bundle) -> handler.accept(name, restrict(bundle)));
    }

    @Override
    public List<String> getBundleNames() {
      return delegate.getBundleNames();
    }

    private static SslBundle restrict(SslBundle bundle) {
      SslOptions options = bundle.getOptions();
      if (options != null && options.getEnabledProtocols() != null) {
        return bundle;
      }
      String[] ciphers = options == null ? null : options.getCiphers();
      return SslBundle.of(bundle.getStores(), bundle.getKey(), SslOptions.of(ciphers, new String[] {TLS_1_3}),
          bundle.getProtocol(), bundle.getManagers());
    }
  }

  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE; // after Boot's own customizer, which copies server.http2.enabled
  }
}
