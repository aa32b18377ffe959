package org.malipo.gateway.payment;

import org.malipo.gateway.common.Money;
import org.malipo.gateway.merchant.MerchantPricing;
import org.springframework.stereotype.Component;

/**
 * The payment core's fee schedule (issue 23): the merchant's own rate for the payment's method and
 * currency ({@code PUT /v1/merchants/{id}/pricing}: basis points rounded half-up plus a fixed part,
 * at most the amount), else the configured {@link Pricing} (per-merchant overrides, then
 * defaults). No I/O: the merchant rates come from {@link MerchantPricing}'s snapshot.
 */
@Component
final class MerchantFees implements FeeSchedule {

  private final Pricing defaults;
  private final MerchantPricing merchants;

  MerchantFees(Pricing defaults, MerchantPricing merchants) {
    this.defaults = defaults;
    this.merchants = merchants;
  }

  @Override
  public Money feeFor(Payment payment) {
    MerchantPricing.Method method = payment.card() != null ? MerchantPricing.Method.CARD : MerchantPricing.Method.MOBILE_MONEY;
    return merchants.rate(payment.merchantId(), method, payment.amount().currency().code())
        .map(rate -> rate.feeFor(payment.amount()))
        .orElseGet(() -> defaults.feeFor(payment));
  }
}
