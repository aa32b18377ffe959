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
@EnableConfigurationProperties({CallbackProperties.class, RailCallbackTokens.class})
final class GatewayCallbackUrls implements CallbackUrls {

  private final CallbackProperties properties;
  private final RailCallbackTokens tokens;
  private final Environment environment;

  GatewayCallbackUrls(CallbackProperties properties, RailCallbackTokens tokens, Environment environment) {
    this.properties = properties;
    this.tokens = tokens;
    this.environment = environment;
  }

  private String base() {
    return properties.baseUrl().isEmpty()
        ? "http://127.0.0.1:" + environment.getProperty("local.server.port", environment.getProperty("server.port", "8080"))
        : properties.baseUrl();
  }

  /**
   * The dashboard-configured endpoints: {@code /v1/callbacks/airtel/{token}},
   * {@code /v1/callbacks/paystack}, {@code /v1/callbacks/flutterwave} (both signed).
   */
  @Override
  public String railCallbackUrl(String railName) {
    return switch (railName) {
      case "airtel" -> base() + "/v1/callbacks/airtel/" + tokens.airtelToken();
      case "paystack" -> base() + "/v1/callbacks/paystack";
      case "flutterwave" -> base() + "/v1/callbacks/flutterwave";
      default -> CallbackUrls.super.railCallbackUrl(railName);
    };
  }

  @Override
  public String callbackUrl(MobileMoneyOperator operator, String referenceHint) {
    String base = base();
    return switch (operator) {
      // The hint (our attempt id) rides in the URL: a callback then finds its attempt even when the
      // push's answer, and with it the rail's reference, was lost (docs/adr/0065).
      case MPESA -> base + "/v1/callbacks/mpesa/" + properties.mpesaToken() + query(referenceHint);
      case MTN_MOMO -> base + "/v1/callbacks/mtn-momo/" + properties.mtnMomoToken() + query(referenceHint);
      case AIRTEL -> base + "/v1/callbacks/airtel/" + tokens.airtelToken() + query(referenceHint);
      case ORANGE -> base + "/v1/callbacks/orange/" + tokens.orangeToken() + query(referenceHint);
      // Collected through Paystack, whose webhook is one dashboard-configured, signed endpoint.
      case TELECEL, AIRTELTIGO -> base + "/v1/callbacks/paystack";
    };
  }

  private static String query(String referenceHint) {
    return referenceHint == null ? "" : "?ref=" + URLEncoder.encode(referenceHint, StandardCharsets.UTF_8);
  }
}
