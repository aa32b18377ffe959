package org.malipo.gateway.payment;

import org.malipo.gateway.common.Money;

/** What a merchant pays for a succeeded payment, in minor units of the payment's currency (0 ≤ fee ≤ amount). */
interface FeeSchedule {

  /** The fee of {@code payment} when it succeeds. */
  Money feeFor(Payment payment);
}
