package org.malipo.gateway.rail;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The money-out credentials of the mobile-money rails ({@code malipo.rails.payouts.*}): what
 * M-Pesa B2C, Transaction Status and Reversal, and MoMo Disbursements need beyond the collection
 * settings of {@link MobileMoneyRailProperties} (host, consumer key, target environment, timeout).
 * Empty credentials mean the in-process sandbox's; a rail with a real {@code base-url} needs its own.
 *
 * @param mpesa Daraja B2C (rails.md §1.8, §1.10)
 * @param mtnMomo MoMo Disbursements (its own product: subscription key, API user and key, token)
 */
@ConfigurationProperties("malipo.rails.payouts")
public record PayoutRailProperties(Mpesa mpesa, MtnMomo mtnMomo) {

  public PayoutRailProperties {
    mpesa = mpesa == null ? new Mpesa(null, null, null) : mpesa;
    mtnMomo = mtnMomo == null ? new MtnMomo(null, null, null) : mtnMomo;
  }

  /**
   * @param initiatorName the B2C API operator's user name ({@code InitiatorName}); empty = sandbox's
   * @param securityCredential the initiator password encrypted with Safaricom's certificate,
   *     base64 ({@code SecurityCredential}); empty = sandbox's
   * @param shortcode the B2C shortcode ({@code PartyA}); default {@code 600984}
   */
  public record Mpesa(String initiatorName, String securityCredential, String shortcode) {
    public Mpesa {
      initiatorName = initiatorName == null ? "" : initiatorName.strip();
      securityCredential = securityCredential == null ? "" : securityCredential.strip();
      shortcode = shortcode == null || shortcode.isBlank() ? "600984" : shortcode.strip();
    }

    @Override
    public String toString() {
      return "Mpesa[initiatorName=" + initiatorName + ", shortcode=" + shortcode + "]";
    }
  }

  /**
   * @param subscriptionKey {@code Ocp-Apim-Subscription-Key} of the Disbursements product; empty = sandbox's
   * @param apiUser API user of the Disbursements product (a UUID); empty = sandbox's
   * @param apiKey its API key; empty = sandbox's
   */
  public record MtnMomo(String subscriptionKey, String apiUser, String apiKey) {
    public MtnMomo {
      subscriptionKey = subscriptionKey == null ? "" : subscriptionKey.strip();
      apiUser = apiUser == null ? "" : apiUser.strip();
      apiKey = apiKey == null ? "" : apiKey.strip();
    }

    @Override
    public String toString() {
      return "MtnMomo[apiUser=" + apiUser + "]";
    }
  }
}
