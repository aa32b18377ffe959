package org.malipo.gateway.rail;

/**
 * Where a rail should send its callbacks for one request: the gateway's
 * {@code /v1/callbacks/{rail}/{token}} endpoint, implemented by the {@code callback} module (the
 * per-rail secret token lives there), resolved at call time because the gateway's own port may
 * only be known once the server runs.
 */
public interface CallbackUrls {

  /**
   * The absolute callback URL for one request.
   *
   * @param operator the rail's operator
   * @param referenceHint our reference to carry in the URL (MoMo callbacks do not carry the
   *     {@code X-Reference-Id}: rails.md §2.6), or null
   */
  String callbackUrl(MobileMoneyOperator operator, String referenceHint);

  /**
   * The absolute URL a rail's dashboard (or app) is configured with for all its callbacks, for
   * rails that take no callback URL per request (Airtel Money, Paystack, Flutterwave); the
   * sandbox registers it with its simulators.
   *
   * @param railName the rail, e.g. {@code "airtel"}
   * @throws IllegalArgumentException for a rail without such an endpoint (this default)
   */
  default String railCallbackUrl(String railName) {
    throw new IllegalArgumentException("no callback endpoint for rail " + railName);
  }
}
