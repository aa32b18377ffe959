package org.malipo.gateway.payment;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Payment statuses and the only transitions allowed between them (DESIGN.md §5). Final statuses
 * have no way out (INVARIANTS.md 7).
 */
public enum PaymentStatus {
  PROCESSING,
  PENDING,
  REQUIRES_ACTION,
  /** Authorized with manual capture: the amount is held until captured, voided or expired. */
  REQUIRES_CAPTURE,
  SUCCEEDED,
  FAILED,
  /** A held authorization voided (by the merchant or on expiry), or a payment abandoned before authentication. */
  CANCELED;

  private static final Map<PaymentStatus, Set<PaymentStatus>> NEXT = Map.of(
      PROCESSING, EnumSet.of(PENDING, REQUIRES_ACTION, REQUIRES_CAPTURE, SUCCEEDED, FAILED),
      PENDING, EnumSet.of(SUCCEEDED, FAILED),
      REQUIRES_ACTION, EnumSet.of(PROCESSING, REQUIRES_CAPTURE, SUCCEEDED, FAILED, CANCELED),
      REQUIRES_CAPTURE, EnumSet.of(SUCCEEDED, CANCELED),
      SUCCEEDED, EnumSet.noneOf(PaymentStatus.class),
      FAILED, EnumSet.noneOf(PaymentStatus.class),
      CANCELED, EnumSet.noneOf(PaymentStatus.class));

  /** Whether the state machine allows moving from this status to {@code next}. */
  public boolean canMoveTo(PaymentStatus next) {
    return NEXT.get(this).contains(next);
  }

  /** Whether no transition leaves this status. */
  public boolean isFinal() {
    return NEXT.get(this).isEmpty();
  }

  /** The JSON and database form, e.g. {@code "succeeded"}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The status with this wire name.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public static PaymentStatus fromWire(String wireName) {
    return valueOf(wireName.toUpperCase(Locale.ROOT));
  }
}
