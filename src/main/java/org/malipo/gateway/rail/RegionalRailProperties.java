package org.malipo.gateway.rail;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The connections of the rails added by issue 22 ({@code malipo.rails.airtel.*},
 * {@code malipo.rails.orange.*}, {@code malipo.rails.paystack.*}, {@code malipo.rails.flutterwave.*}).
 * Every credential left empty with an empty {@code base-url} means the in-process sandbox and its
 * published test credentials; a real {@code base-url} without credentials fails start-up; a rail
 * with no {@code base-url} and no sandbox is not registered.
 *
 * @param airtel Airtel Money Africa collections
 * @param orange Orange Money merchant payments
 * @param paystack Paystack (cards, Ghana mobile money)
 * @param flutterwave Flutterwave v3 (cards, mobile money; the second route)
 */
@ConfigurationProperties("malipo.rails")
public record RegionalRailProperties(Airtel airtel, Orange orange, Paystack paystack, Flutterwave flutterwave) {

  public RegionalRailProperties {
    airtel = airtel == null ? new Airtel(null, null, null, null, null, null, null) : airtel;
    orange = orange == null ? new Orange(null, null, null, null, null, null, null, null, null, null) : orange;
    paystack = paystack == null ? new Paystack(null, null, null, null, null, null) : paystack;
    flutterwave = flutterwave == null ? new Flutterwave(null, null, null, null, null, null, null, null) : flutterwave;
  }

  /**
   * Airtel OpenAPI settings (rails.md §3).
   *
   * @param baseUrl API root, e.g. {@code https://openapiuat.airtel.africa}; empty = in-process sandbox
   * @param clientId OAuth client id of the Airtel app; empty = sandbox's
   * @param clientSecret OAuth client secret; empty = sandbox's
   * @param timeout longest wait for one call; default 5 s
   * @param maxConcurrentCalls default 50
   * @param ratePerSecond default 50
   * @param enabled default true
   */
  public record Airtel(String baseUrl, String clientId, String clientSecret, Duration timeout,
      Integer maxConcurrentCalls, Integer ratePerSecond, Boolean enabled) {
    public Airtel {
      baseUrl = blankToEmpty(baseUrl);
      clientId = blankToEmpty(clientId);
      clientSecret = blankToEmpty(clientSecret);
      timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
      maxConcurrentCalls = maxConcurrentCalls == null ? 50 : maxConcurrentCalls;
      ratePerSecond = ratePerSecond == null ? 50 : ratePerSecond;
      enabled = enabled == null || enabled;
    }

    /** The resilience limits of the rail. */
    public RailLimits limits() {
      return MobileMoneyRailProperties.limits(timeout, maxConcurrentCalls, ratePerSecond);
    }

    @Override
    public String toString() {
      return "Airtel[baseUrl=" + baseUrl + ", timeout=" + timeout + "]";
    }
  }

  /**
   * Orange Money merchant-payment settings (docs/rails/orange.md).
   *
   * @param baseUrl API root; empty = in-process sandbox
   * @param clientId OAuth consumer key; empty = sandbox's
   * @param clientSecret OAuth consumer secret; empty = sandbox's
   * @param authToken the merchant's {@code X-AUTH-TOKEN}; empty = sandbox's
   * @param channelUserMsisdn the merchant wallet ({@code channelUserMsisdn}); empty = sandbox's
   * @param pin the merchant wallet's PIN; empty = sandbox's
   * @param timeout longest wait for one call; default 5 s
   * @param maxConcurrentCalls default 50
   * @param ratePerSecond default 50
   * @param enabled default true
   */
  public record Orange(String baseUrl, String clientId, String clientSecret, String authToken, String channelUserMsisdn,
      String pin, Duration timeout, Integer maxConcurrentCalls, Integer ratePerSecond, Boolean enabled) {
    public Orange {
      baseUrl = blankToEmpty(baseUrl);
      clientId = blankToEmpty(clientId);
      clientSecret = blankToEmpty(clientSecret);
      authToken = blankToEmpty(authToken);
      channelUserMsisdn = blankToEmpty(channelUserMsisdn);
      pin = blankToEmpty(pin);
      timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
      maxConcurrentCalls = maxConcurrentCalls == null ? 50 : maxConcurrentCalls;
      ratePerSecond = ratePerSecond == null ? 50 : ratePerSecond;
      enabled = enabled == null || enabled;
    }

    /** The resilience limits of the rail. */
    public RailLimits limits() {
      return MobileMoneyRailProperties.limits(timeout, maxConcurrentCalls, ratePerSecond);
    }

    @Override
    public String toString() {
      return "Orange[baseUrl=" + baseUrl + ", timeout=" + timeout + "]";
    }
  }

  /**
   * Paystack settings (rails.md §4).
   *
   * @param baseUrl API root, e.g. {@code https://api.paystack.co}; empty = in-process sandbox
   * @param secretKey {@code sk_test_…}/{@code sk_live_…}: API bearer and webhook HMAC key; empty = sandbox's
   * @param timeout longest wait for one call; default 5 s
   * @param maxConcurrentCalls default 100
   * @param ratePerSecond default 100
   * @param enabled default true
   */
  public record Paystack(String baseUrl, String secretKey, Duration timeout, Integer maxConcurrentCalls,
      Integer ratePerSecond, Boolean enabled) {
    public Paystack {
      baseUrl = blankToEmpty(baseUrl);
      secretKey = blankToEmpty(secretKey);
      timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
      maxConcurrentCalls = maxConcurrentCalls == null ? 100 : maxConcurrentCalls;
      ratePerSecond = ratePerSecond == null ? 100 : ratePerSecond;
      enabled = enabled == null || enabled;
    }

    /** The resilience limits of the rail. */
    public RailLimits limits() {
      return MobileMoneyRailProperties.limits(timeout, maxConcurrentCalls, ratePerSecond);
    }

    @Override
    public String toString() {
      return "Paystack[baseUrl=" + baseUrl + ", timeout=" + timeout + "]";
    }
  }

  /**
   * Flutterwave v3 settings (rails.md §5).
   *
   * @param baseUrl API root, e.g. {@code https://api.flutterwave.com}; empty = in-process sandbox
   * @param secretKey {@code FLWSECK…} API bearer; empty = sandbox's
   * @param secretHash the dashboard's webhook secret hash ({@code verif-hash}); empty = sandbox's
   * @param encryptionKey the 24-character 3DES key card charges are encrypted with; empty = sandbox's
   * @param timeout longest wait for one call; default 5 s
   * @param maxConcurrentCalls default 100
   * @param ratePerSecond default 100
   * @param enabled default true
   */
  public record Flutterwave(String baseUrl, String secretKey, String secretHash, String encryptionKey, Duration timeout,
      Integer maxConcurrentCalls, Integer ratePerSecond, Boolean enabled) {
    public Flutterwave {
      baseUrl = blankToEmpty(baseUrl);
      secretKey = blankToEmpty(secretKey);
      secretHash = blankToEmpty(secretHash);
      encryptionKey = blankToEmpty(encryptionKey);
      timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
      maxConcurrentCalls = maxConcurrentCalls == null ? 100 : maxConcurrentCalls;
      ratePerSecond = ratePerSecond == null ? 100 : ratePerSecond;
      enabled = enabled == null || enabled;
    }

    /** The resilience limits of the rail. */
    public RailLimits limits() {
      return MobileMoneyRailProperties.limits(timeout, maxConcurrentCalls, ratePerSecond);
    }

    @Override
    public String toString() {
      return "Flutterwave[baseUrl=" + baseUrl + ", timeout=" + timeout + "]";
    }
  }

  private static String blankToEmpty(String value) {
    return value == null ? "" : value.strip();
  }
}
