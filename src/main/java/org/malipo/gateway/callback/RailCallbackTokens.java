package org.malipo.gateway.callback;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The secret path tokens of the callback endpoints of the rails added by issue 22
 * ({@code malipo.callbacks.airtel-token}, {@code malipo.callbacks.orange-token}). Airtel Money and
 * Orange Money sign nothing, so the path carries the secret, as for M-Pesa and MoMo. Paystack and
 * Flutterwave sign their webhooks and need no token.
 *
 * <p>No default: an empty token disables the endpoint (every call is {@code 404}), so a deployment
 * that does not use the rail needs no setting, and one that does cannot forget it silently (its
 * callbacks never arrive; the status queries still settle every payment).
 *
 * @param airtelToken the token of {@code /v1/callbacks/airtel/{token}}
 * @param orangeToken the token of {@code /v1/callbacks/orange/{token}}
 */
@ConfigurationProperties("malipo.callbacks")
public record RailCallbackTokens(String airtelToken, String orangeToken) {

  /** Replaces null by empty (endpoint disabled). */
  public RailCallbackTokens {
    airtelToken = airtelToken == null ? "" : airtelToken.strip();
    orangeToken = orangeToken == null ? "" : orangeToken.strip();
  }

  @Override
  public String toString() {
    return "RailCallbackTokens[airtel=" + (airtelToken.isEmpty() ? "off" : "set") + ", orange="
        + (orangeToken.isEmpty() ? "off" : "set") + "]";
  }
}
