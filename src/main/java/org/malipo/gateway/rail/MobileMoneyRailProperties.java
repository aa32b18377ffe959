package org.malipo.gateway.rail;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The mobile-money rails' connections ({@code malipo.rails.mpesa.*},
 * {@code malipo.rails.mtn-momo.*}). Every credential left empty means the in-process sandbox and
 * its published test credentials; a rail with no {@code base-url} and no sandbox is not
 * registered.
 *
 * @param mpesa Safaricom Daraja
 * @param mtnMomo MTN MoMo Collections
 */
@ConfigurationProperties("malipo.rails")
public record MobileMoneyRailProperties(Mpesa mpesa, MtnMomo mtnMomo) {

  public MobileMoneyRailProperties {
    mpesa = mpesa == null ? new Mpesa(null, null, null, null, null, null, null, null, null) : mpesa;
    mtnMomo = mtnMomo == null ? new MtnMomo(null, null, null, null, null, null, null, null, null) : mtnMomo;
  }

  /**
   * Daraja settings (rails.md §1).
   *
   * @param baseUrl API root, e.g. {@code https://sandbox.safaricom.co.ke}; empty = in-process sandbox
   * @param consumerKey OAuth consumer key; empty = sandbox's
   * @param consumerSecret OAuth consumer secret; empty = sandbox's
   * @param shortcode paybill number (BusinessShortCode, PartyB); default {@code 174379}
   * @param passkey the Lipa na M-Pesa passkey; empty = sandbox's
   * @param timeout longest wait for one call; default 5 s
   * @param maxConcurrentCalls default 100
   * @param ratePerSecond default 100 (Daraja enforces TPS: "Spike Arrest Violation")
   * @param enabled default true
   */
  public record Mpesa(String baseUrl, String consumerKey, String consumerSecret, String shortcode, String passkey,
      Duration timeout, Integer maxConcurrentCalls, Integer ratePerSecond, Boolean enabled) {
    public Mpesa {
      baseUrl = blankToEmpty(baseUrl);
      consumerKey = blankToEmpty(consumerKey);
      consumerSecret = blankToEmpty(consumerSecret);
      shortcode = shortcode == null || shortcode.isBlank() ? "174379" : shortcode.strip();
      passkey = blankToEmpty(passkey);
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
      return "Mpesa[baseUrl=" + baseUrl + ", shortcode=" + shortcode + ", timeout=" + timeout + "]";
    }
  }

  /**
   * MoMo Collections settings (rails.md §2).
   *
   * @param baseUrl API root, e.g. {@code https://sandbox.momodeveloper.mtn.com}; empty = in-process sandbox
   * @param subscriptionKey {@code Ocp-Apim-Subscription-Key} of the Collections product; empty = sandbox's
   * @param apiUser API user (a UUID); empty = sandbox's
   * @param apiKey API key; empty = sandbox's
   * @param targetEnvironment {@code X-Target-Environment}; default {@code sandbox}
   * @param timeout longest wait for one call; default 5 s
   * @param maxConcurrentCalls default 100
   * @param ratePerSecond default 100
   * @param enabled default true
   */
  public record MtnMomo(String baseUrl, String subscriptionKey, String apiUser, String apiKey,
      String targetEnvironment, Duration timeout, Integer maxConcurrentCalls, Integer ratePerSecond, Boolean enabled) {
    public MtnMomo {
      baseUrl = blankToEmpty(baseUrl);
      subscriptionKey = blankToEmpty(subscriptionKey);
      apiUser = blankToEmpty(apiUser);
      apiKey = blankToEmpty(apiKey);
      targetEnvironment = targetEnvironment == null || targetEnvironment.isBlank() ? "sandbox" : targetEnvironment;
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
      return "MtnMomo[baseUrl=" + baseUrl + ", targetEnvironment=" + targetEnvironment + ", timeout=" + timeout + "]";
    }
  }

  static RailLimits limits(Duration timeout, int maxConcurrentCalls, int ratePerSecond) {
    // Circuit breaker: open at 50 % failures or 80 % calls slower than 2 s over the last 50 calls.
    return new RailLimits(timeout, maxConcurrentCalls, ratePerSecond, 50f, 80f, Duration.ofSeconds(2), 50, 20,
        Duration.ofSeconds(10), 5);
  }

  private static String blankToEmpty(String value) {
    return value == null ? "" : value.strip();
  }
}
