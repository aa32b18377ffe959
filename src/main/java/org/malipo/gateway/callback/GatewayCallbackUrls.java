package org.malipo.gateway.callback;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.malipo.gateway.rail.CallbackUrls;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * The gateway's callback URLs: {@code {base}/v1/callbacks/mpesa/{token}} and
 * {@code {base}/v1/callbacks/mtn-momo/{token}?ref={X-Reference-Id}}. Without a configured base
 * URL the base is this server, whose port ({@code local.server.port}) is read at call time: with
 * a random port it is known only once the server has started.
 */
@Component
@EnableConfigurationProperties(CallbackProperties.class)
final class GatewayCallbackUrls implements CallbackUrls {

  private final CallbackProperties properties;
  private final Environment environment;

  GatewayCallbackUrls(CallbackProperties properties, Environment environment) {
    this.properties = properties;
    this.environment = environment;
  }

  @Override
  public String callbackUrl(MobileMoneyOperator operator, String referenceHint) {
    String base = properties.baseUrl().isEmpty()
        ? "http://127.0.0.1:" + environment.getProperty("local.server.port", environment.getProperty("server.port", "8080"))
        : properties.baseUrl();
    return switch (operator) {
      // The hint (our attempt id) rides in the URL: a callback then finds its attempt even when the
      // push's answer, and with it the rail's reference, was lost (docs/adr/0065).
      case MPESA -> base + "/v1/callbacks/mpesa/" + properties.mpesaToken() + query(referenceHint);
      case MTN_MOMO -> base + "/v1/callbacks/mtn-momo/" + properties.mtnMomoToken() + query(referenceHint);
    };
  }

  private static String query(String referenceHint) {
    return referenceHint == null ? "" : "?ref=" + URLEncoder.encode(referenceHint, StandardCharsets.UTF_8);
  }
}
