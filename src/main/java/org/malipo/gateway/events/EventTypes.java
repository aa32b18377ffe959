package org.malipo.gateway.events;

import java.util.Set;

/** Every event type on {@code malipo.payments.v1}, as {@code contracts/asyncapi.yaml} lists them. */
public final class EventTypes {

  /** The documented types; a webhook endpoint may subscribe to any of them. */
  public static final Set<String> ALL = Set.of(
      "payment.created", "payment.pending", "payment.succeeded", "payment.failed", "payment.late_funds",
      "payment.requires_action", "payment.requires_capture", "payment.captured", "payment.canceled",
      "refund.succeeded", "refund.failed",
      "payout.created", "payout.succeeded", "payout.failed",
      "checkout.session.completed", "checkout.session.expired");

  private EventTypes() {}
}
